"""Claim a key before the work, store the answer after it; replay, refuse a changed body, or say "in flight"."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from groupbuy.db import db, insert_or_ignore, transaction
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


def claim_key(*, user_id: int, key: str, fingerprint: str, now: datetime) -> Replay | None:
    """Take the key for this request, or return the stored answer; 422 if the body differs, 409 if in flight."""
    with transaction():
        claimed = db.session.execute(
            insert_or_ignore(IdempotencyKey)
            .values(
                user_id=user_id,
                key=key,
                request_hash=fingerprint,
                created_at=now,
                locked_until=now + IN_FLIGHT_LEASE,
                expires_at=now + KEEP_FOR,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(IdempotencyKey.id)
        ).first()
        if claimed is not None:
            return None
        row = db.session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        )
        if row is None:  # expired and purged between our insert and select
            raise Conflict("idempotency_key_in_flight", headers={"Retry-After": "1"})
        if row.request_hash != fingerprint:
            raise Invalid("idempotency_key_reused", errors={"Idempotency-Key": ["used with a different request"]})
        if row.response_status is not None:
            return Replay(status=row.response_status, body=row.response_body)
        taken_over = db.session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == row.id,
                IdempotencyKey.response_status.is_(None),
                or_(IdempotencyKey.locked_until.is_(None), IdempotencyKey.locked_until < now),
            )
            .values(locked_until=now + IN_FLIGHT_LEASE)
        )
        if taken_over.rowcount == 1:  # type: ignore[attr-defined]  # the first worker died mid-request
            return None
        raise Conflict("idempotency_key_in_flight", headers={"Retry-After": "1"})


def store_response(*, user_id: int, key: str, status: int, body: Any) -> None:
    """Keep the answer for replay; a 5xx frees the key so the client may retry."""
    with transaction():
        match = (IdempotencyKey.user_id == user_id) & (IdempotencyKey.key == key)
        if status >= 500:
            db.session.execute(delete(IdempotencyKey).where(match))
        else:
            db.session.execute(
                update(IdempotencyKey)
                .where(match)
                .values(response_status=status, response_body=body, locked_until=None)
            )


def purge_expired_keys(*, now: datetime) -> int:
    """Delete keys past their retention."""
    with transaction():
        result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
        return int(result.rowcount)  # type: ignore[attr-defined]
