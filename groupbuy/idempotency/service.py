"""Claim a key before the work, store the answer after it; replay, refuse a changed body, or say "in flight"."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update

from groupbuy.db import connection, db, transaction, upsert_insert
from groupbuy.errors import Conflict, Invalid
from groupbuy.idempotency.models import IdempotencyKey

KEEP_FOR = timedelta(hours=48)  # API.md: at least 24 h
IN_FLIGHT_LEASE = timedelta(seconds=60)  # a crashed worker's claim can be taken over after this


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """A stable hash of what the client asked for."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@functools.cache
def _add_unless_taken(dialect_name: str) -> Any:
    return (
        upsert_insert(dialect_name, IdempotencyKey)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    )


def _add_key(
    *, user_id: int, key: str, fingerprint: str, now: datetime, locked_until: datetime | None, answer: Replay | None
) -> bool:
    """Insert the key's row; False (nothing written) if the user already has that key."""
    conn = connection()
    row = conn.execute(
        _add_unless_taken(conn.dialect.name),
        {
            "user_id": user_id,
            "key": key,
            "request_hash": fingerprint,
            "response_status": answer.status if answer else None,
            "response_body": answer.body if answer else None,
            "created_at": now,
            "locked_until": locked_until,
            "expires_at": now + KEEP_FOR,
        },
    ).first()
    return row is not None


# bindparam names differ from column names: UPDATE reserves those for its SET clause
_THIS_KEY = (IdempotencyKey.user_id == bindparam("of_user")) & (IdempotencyKey.key == bindparam("of_key"))
_CLAIMED = select(
    IdempotencyKey.id, IdempotencyKey.request_hash, IdempotencyKey.response_status, IdempotencyKey.response_body
).where(_THIS_KEY)
_TAKE_OVER = (
    update(IdempotencyKey)
    .where(
        IdempotencyKey.id == bindparam("claimed_id"),
        IdempotencyKey.response_status.is_(None),
        or_(IdempotencyKey.locked_until.is_(None), IdempotencyKey.locked_until < bindparam("now")),
    )
    .values(locked_until=bindparam("lease_until"))
)
_STORE = (
    update(IdempotencyKey)
    .where(_THIS_KEY)
    .values(response_status=bindparam("status"), response_body=bindparam("body"), locked_until=None)
)
_FREE = delete(IdempotencyKey).where(_THIS_KEY)


def _kept_row(user_id: int, key: str, fingerprint: str) -> Any:
    """The key's row, or None; 422 if it was kept for another request."""
    row = connection().execute(_CLAIMED, {"of_user": user_id, "of_key": key}).first()
    if row is not None and row.request_hash != fingerprint:
        raise Invalid("idempotency_key_reused", errors={"Idempotency-Key": ["used with a different request"]})
    return row


def _in_flight() -> Conflict:
    return Conflict("idempotency_key_in_flight", headers={"Retry-After": "1"})


def claim_key(*, user_id: int, key: str, fingerprint: str, now: datetime) -> Replay | None:
    """Take the key for this request, or return the stored answer; 422 if the body differs, 409 if in flight."""
    with transaction():
        if _add_key(
            user_id=user_id, key=key, fingerprint=fingerprint, now=now, locked_until=now + IN_FLIGHT_LEASE, answer=None
        ):
            return None
        row = _kept_row(user_id, key, fingerprint)
        if row is None:  # expired and purged between our insert and select
            raise _in_flight()
        if row.response_status is not None:
            return Replay(status=row.response_status, body=row.response_body)
        taken_over = connection().execute(
            _TAKE_OVER, {"claimed_id": row.id, "now": now, "lease_until": now + IN_FLIGHT_LEASE}
        )
        if taken_over.rowcount == 1:  # the first worker died mid-request
            return None
        raise _in_flight()


def store_response(*, user_id: int, key: str, status: int, body: Any) -> None:
    """Keep the answer for replay; a 5xx frees the key so the client may retry."""
    with transaction():
        if status >= 500:
            connection().execute(_FREE, {"of_user": user_id, "of_key": key})
        else:
            connection().execute(_STORE, {"of_user": user_id, "of_key": key, "status": status, "body": body})


def keep_answer(*, user_id: int, key: str, fingerprint: str, status: int, body: Any, now: datetime) -> bool:
    """Keep the answer under the key unless one is kept already (False); a 5xx is never kept (True, nothing written)."""
    if status >= 500:
        return True  # not cached: the client may retry
    with transaction():
        answer = Replay(status=status, body=body)
        return _add_key(user_id=user_id, key=key, fingerprint=fingerprint, now=now, locked_until=None, answer=answer)


def stored_answer(*, user_id: int, key: str, fingerprint: str) -> Replay | None:
    """The answer kept under the key (None if none); 422 if it was for another request, 409 if still running."""
    row = _kept_row(user_id, key, fingerprint)
    if row is None:
        return None
    if row.response_status is None:  # claimed by a claim-first request still in flight
        raise _in_flight()
    return Replay(status=row.response_status, body=row.response_body)


def purge_expired_keys(*, now: datetime) -> int:
    """Delete keys past their retention."""
    with transaction():
        result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
        return int(result.rowcount)  # type: ignore[attr-defined]
