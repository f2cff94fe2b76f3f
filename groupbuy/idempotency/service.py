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

from sqlalchemy import CTE, JSON, Text, bindparam, cast, delete, or_, select, update
from sqlalchemy.dialects import postgresql

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


class KeyTaken(Exception):
    """Another request kept an answer under this key first: what was done under it is to be undone."""


@dataclass
class OwnKey:
    """A key whose answer the work keeps itself, with the work: in the same statement (``row`` for
    ``keep_key_first``) or the same transaction (``keep_in``), so the work never commits without its answer.
    ``body``: the JSON text kept, once kept."""

    request: KeyedRequest
    now: datetime
    body: str | None = None

    def row(self, status: int, body: str) -> dict[str, Any]:
        """The values ``keep_key_first`` binds (``k_<column>``)."""
        return {
            "k_user_id": self.request.user_id,
            "k_key": self.request.key,
            "k_request_hash": self.request.fingerprint,
            "k_response_status": status,
            "k_response_body": body,
            "k_created_at": self.now,
            "k_expires_at": self.now + KEEP_FOR,
        }

    def kept(self, body: str) -> None:
        """The work's own statement wrote the row ``row`` gave, with this body."""
        self.body = body

    def keep_in(self, status: int, body: str) -> None:
        """Keep the answer in the caller's open unit of work; KeyTaken if an answer is kept under the key already."""
        if not _add_key(self.request, now=self.now, locked_until=None, answer=(status, body)):
            raise KeyTaken()
        self.kept(body)


@functools.cache
def keep_key_first() -> CTE:
    """The key's row with its answer (PostgreSQL), as the first WITH of a statement that does the work: it returns
    the key's id, or no row when the user has kept that key already (the statement must then refuse as a whole,
    and the caller raise KeyTaken). A duplicate in flight waits on the key's unique index, before any other lock.
    Bound: ``OwnKey.row``."""
    columns = IdempotencyKey.__table__.c
    names = ("user_id", "key", "request_hash", "response_status", "created_at", "expires_at")
    values: dict[str, Any] = {name: bindparam(f"k_{name}", type_=columns[name].type) for name in names}
    values["response_body"] = _json_text("postgresql", "k_response_body")
    return (
        postgresql.insert(IdempotencyKey)
        .values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
        .cte("kept_key")
    )


def answer_once(
    *,
    request: KeyedRequest,
    work: Callable[[], R],
    answer_of: Callable[[R], tuple[int, str | None]],
    refused: Callable[[DomainError], R],
    atomic: bool,
    now: datetime,
    own_key: OwnKey | None = None,
) -> R | Replay:
    """Run ``work`` once per key: its result, or the Replay of the answer kept for the same request earlier.

    ``answer_of`` gives the (status, body as JSON text or None) to keep; ``refused`` turns a refusal into a
    result (its answer is kept too: a retry replays the refusal). A 5xx is never kept, so the client may retry.

    ``atomic``: the work and its answer commit in ONE transaction, so the work never commits without its answer
    and a crash leaves neither; a duplicate sent meanwhile waits on the key's unique index, then replays. Only
    for work that calls nobody outside the database. Otherwise (payments: a provider is called between
    transactions) the key is claimed in a committed transaction first, and a duplicate in flight is 409.

    ``own_key`` (atomic only): the work keeps its answer under that key itself, in its own statement or unit of
    work (``OwnKey``), and opens its units itself; no transaction is opened around it here. Work that writes in
    one statement then needs no transaction at all (checkout's one-line order on PostgreSQL: no BEGIN, no COMMIT).
    """
    if own_key is not None:
        if not atomic:
            raise TypeError("answer_once: own_key is for atomic work")
        return _work_keeps_answer(own_key, work, answer_of, refused)
    if atomic:
        return _work_and_answer_together(request, work, answer_of, refused, now)
    return _claim_first(request, work, answer_of, refused, now)


def purge_expired_keys(*, now: datetime, limit: int) -> int:
    """Delete keys past their retention, ``limit`` per transaction: the same key after that is a new request."""
    return delete_in_batches(IdempotencyKey, IdempotencyKey.expires_at < now, limit=limit)


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
                raise KeyTaken()
            return result
    except KeyTaken:
        return _replay_taken(request)
    except DomainError as error:  # the work rolled back
        return _answer_refusal(request, error, answer_of, refused, now)


def _work_keeps_answer(
    key: OwnKey,
    work: Callable[[], R],
    answer_of: Callable[[R], tuple[int, str | None]],
    refused: Callable[[DomainError], R],
) -> R | Replay:
    """answer_once with ``own_key``: the work keeps its answer itself; a refusal or a taken key as above."""
    try:
        result = work()
    except KeyTaken:
        return _replay_taken(key.request)
    except DomainError as error:  # nothing of the work was written
        return _answer_refusal(key.request, error, answer_of, refused, key.now)
    if key.body is None:
        raise RuntimeError("answer_once: the work did not keep its answer under its own key")
    return result


def _replay_taken(request: KeyedRequest) -> Replay:
    """The answer kept under a key another request took first."""
    earlier = _kept_answer(request)
    if earlier is None:  # the key was purged in between: the client may simply retry
        raise _in_flight()
    return earlier


def _answer_refusal(
    request: KeyedRequest,
    error: DomainError,
    answer_of: Callable[[R], tuple[int, str | None]],
    refused: Callable[[DomainError], R],
    now: datetime,
) -> R | Replay:
    """A refused work's answer: the one kept under the key earlier if any (a retry), else the refusal, kept."""
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
