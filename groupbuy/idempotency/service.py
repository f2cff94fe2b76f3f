"""Idempotency keys: one table, one helper (`answer_once`). Same key and body replays the first answer; another
body is 422; a request still running is waited for (atomic) or answered 409 (claim-first)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import JSON, Text, bindparam, cast, delete, or_, select, update

from groupbuy.db import connection, delete_in_batches, transaction, upsert_insert
from groupbuy.errors import Conflict, DomainError, Invalid
from groupbuy.idempotency.models import IdempotencyKey
from groupbuy.prebuilt import run_prebuilt

KEEP_FOR = timedelta(hours=48)  # API.md: at least 24 h
IN_FLIGHT_LEASE = timedelta(seconds=60)  # a crashed worker's claim can be taken over after this

R = TypeVar("R")


@dataclass(frozen=True)
class Replay:
    """The answer kept under a key: what a repeated request gets back."""

    status: int
    body: Any


@dataclass(frozen=True)
class KeyedRequest:
    """A request made under an idempotency key: whose key, which key, and a hash of what was asked."""

    user_id: int
    key: str
    fingerprint: str


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """A stable hash of what the client asked for."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def answer_once(
    *,
    request: KeyedRequest,
    work: Callable[[], R],
    answer_of: Callable[[R], tuple[int, str | None]],
    refused: Callable[[DomainError], R],
    atomic: bool,
    now: datetime,
) -> R | Replay:
    """Run ``work`` once per key: its result, or the Replay of the answer kept for the same request earlier.

    ``answer_of`` gives the (status, body as JSON text or None) to keep; ``refused`` turns a refusal into a
    result (its answer is kept too: a retry replays the refusal). A 5xx is never kept, so the client may retry.

    ``atomic``: the work and its answer commit in ONE transaction, so the work never commits without its answer
    and a crash leaves neither; a duplicate sent meanwhile waits on the key's unique index, then replays. Only
    for work that calls nobody outside the database. Otherwise (payments: a provider is called between
    transactions) the key is claimed in a committed transaction first, and a duplicate in flight is 409.
    """
    if atomic:
        return _work_and_answer_together(request, work, answer_of, refused, now)
    return _claim_first(request, work, answer_of, refused, now)


def purge_expired_keys(*, now: datetime, limit: int) -> int:
    """Delete keys past their retention, ``limit`` per transaction: the same key after that is a new request."""
    return delete_in_batches(IdempotencyKey, IdempotencyKey.expires_at < now, limit=limit)


class _KeyTaken(Exception):
    """Another request kept an answer under this key first."""


def _work_and_answer_together(
    request: KeyedRequest,
    work: Callable[[], R],
    answer_of: Callable[[R], tuple[int, str | None]],
    refused: Callable[[DomainError], R],
    now: datetime,
) -> R | Replay:
    """Work first, then keep its answer in the same transaction; a key kept already undoes the work.

    The usual request costs one statement for its key. A retry re-runs the work, finds the key taken when it
    comes to keep its answer, rolls everything back and replays the first answer; a retry that is refused this
    time (sold out by now) looks the key up before answering.
    """
    try:
        with transaction():
            result = work()
            if not _keep(request, answer_of(result), now):
                raise _KeyTaken()
            return result
    except _KeyTaken:
        earlier = _kept_answer(request)
        if earlier is None:  # the key was purged in between: the client may simply retry
            raise _in_flight() from None
        return earlier
    except DomainError as error:  # the work rolled back
        earlier = _kept_answer(request)
        if earlier is not None:
            return earlier
        result = refused(error)
        _keep(request, answer_of(result), now)
        return result


def _claim_first(
    request: KeyedRequest,
    work: Callable[[], R],
    answer_of: Callable[[R], tuple[int, str | None]],
    refused: Callable[[DomainError], R],
    now: datetime,
) -> R | Replay:
    """Claim the key (committed), run the work in its own transactions, then store its answer under the claim."""
    replay = _claim(request, now)
    if replay is not None:
        return replay
    try:
        try:
            result = work()
        except DomainError as error:
            result = refused(error)
    except BaseException:
        _store(request, (500, None))
        raise
    _store(request, answer_of(result))
    return result


def _json_text(dialect_name: str, name: str) -> Any:
    """A JSON document bound as the text it already is: stored as given, neither parsed nor encoded again."""
    text = bindparam(name, type_=Text)
    return cast(text, JSON) if dialect_name == "postgresql" else text  # SQLite keeps JSON as text


@functools.cache
def _add_unless_taken(dialect_name: str) -> Any:
    return (
        upsert_insert(dialect_name, IdempotencyKey)
        .values(response_body=_json_text(dialect_name, "response_body"))
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    )


# bindparam names differ from column names: UPDATE reserves those for its SET clause
_THIS_KEY = (IdempotencyKey.user_id == bindparam("of_user")) & (IdempotencyKey.key == bindparam("of_key"))
_KEPT = select(
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


@functools.cache
def _store_statement(dialect_name: str) -> Any:
    return (
        update(IdempotencyKey)
        .where(_THIS_KEY)
        .values(response_status=bindparam("status"), response_body=_json_text(dialect_name, "body"), locked_until=None)
    )


_FREE = delete(IdempotencyKey).where(_THIS_KEY)


def _add_key(
    request: KeyedRequest, *, now: datetime, locked_until: datetime | None, answer: tuple[int, str | None] | None
) -> bool:
    """Insert the key's row (with its answer: status and JSON text); False (nothing written) if the user already
    has that key."""
    conn = connection()
    rows = run_prebuilt(
        conn,
        _add_unless_taken(conn.dialect.name),
        {
            "user_id": request.user_id,
            "key": request.key,
            "request_hash": request.fingerprint,
            "response_status": answer[0] if answer else None,
            "response_body": answer[1] if answer else None,
            "created_at": now,
            "locked_until": locked_until,
            "expires_at": now + KEEP_FOR,
        },
    )
    return bool(rows)


def _kept_row(request: KeyedRequest) -> Any:
    """The key's row, or None; 422 if it was kept for another request."""
    row = connection().execute(_KEPT, {"of_user": request.user_id, "of_key": request.key}).first()
    if row is not None and row.request_hash != request.fingerprint:
        raise Invalid("idempotency_key_reused", errors={"Idempotency-Key": ["used with a different request"]})
    return row


def _in_flight() -> Conflict:
    return Conflict("idempotency_key_in_flight", headers={"Retry-After": "1"})


def _claim(request: KeyedRequest, now: datetime) -> Replay | None:
    """Take the key for this request, or return the stored answer; 422 if the body differs, 409 if in flight."""
    with transaction():
        if _add_key(request, now=now, locked_until=now + IN_FLIGHT_LEASE, answer=None):
            return None
        row = _kept_row(request)
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


def _store(request: KeyedRequest, answer: tuple[int, str | None]) -> None:
    """Keep the answer under the claim for replay; a 5xx frees the key so the client may retry."""
    status, body = answer
    with transaction():
        if status >= 500:
            connection().execute(_FREE, {"of_user": request.user_id, "of_key": request.key})
        else:
            conn = connection()
            conn.execute(
                _store_statement(conn.dialect.name),
                {"of_user": request.user_id, "of_key": request.key, "status": status, "body": body},
            )


def _keep(request: KeyedRequest, answer: tuple[int, str | None], now: datetime) -> bool:
    """Keep the answer under the key unless one is kept already (False); a 5xx is never kept (True, nothing written)."""
    status, body = answer
    if status >= 500:
        return True  # not cached: the client may retry
    with transaction():
        return _add_key(request, now=now, locked_until=None, answer=(status, body))


def _kept_answer(request: KeyedRequest) -> Replay | None:
    """The answer kept under the key (None if none); 422 if it was for another request, 409 if still running."""
    row = _kept_row(request)
    if row is None:
        return None
    if row.response_status is None:  # claimed by a claim-first request still in flight
        raise _in_flight()
    return Replay(status=row.response_status, body=row.response_body)
