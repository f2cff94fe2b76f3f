"""`@idempotent`: the HTTP side of idempotency keys (header, replay, storage of the answer)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Response, current_app, request

from groupbuy import clock
from groupbuy.accounts.auth import current_user_id
from groupbuy.db import transaction
from groupbuy.errors import Conflict, DomainError, Invalid, render_domain_error
from groupbuy.idempotency.service import (
    Replay,
    claim_key,
    keep_answer,
    request_fingerprint,
    store_response,
    stored_answer,
)

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"


def idempotent(*, required: bool, atomic: bool = False) -> Callable[[F], F]:
    """Same key + same body replays the first answer (`Idempotent-Replayed: true`); other body 422; in flight 409.

    ``atomic``: the work and its answer under the key commit in ONE transaction, so the work never
    commits without its answer and a crash leaves nothing half-claimed. A duplicate sent while the first
    is running waits on the key's unique index and then replays the first answer (rather than a 409).
    Only for handlers that call nobody outside the database: a handler that commits before an outbound
    call (payments) keeps its own transactions and the claim-first protocol.
    """

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER, "").strip()
            if not key:
                if required:
                    raise Invalid("idempotency_key_required", errors={HEADER: ["required"]})
                return func(*args, **kwargs)
            if len(key) > 100:
                raise Invalid(errors={HEADER: ["at most 100 characters"]})
            claim = _Claim(
                user_id=current_user_id(),
                key=key,
                fingerprint=request_fingerprint(
                    method=request.method, path=request.path, body=request.get_json(silent=True)
                ),
            )
            return (_run_atomic if atomic else _run_claim_first)(claim, lambda: func(*args, **kwargs))

        doc = deepcopy(getattr(func, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": HEADER,
                "required": required,
                "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                "description": (
                    "Same key and body replays the first response; other body 422; "
                    + ("a duplicate in flight waits for the first and replays it." if atomic else "in flight 409.")
                ),
            }
        )
        manual.setdefault("responses", {}).setdefault("409", "CONFLICT")
        wrapper._apidoc = doc  # type: ignore[attr-defined]  # flask-smorest reads docs from here
        return cast(F, wrapper)

    return decorator


@dataclass(frozen=True)
class _Claim:
    user_id: int
    key: str
    fingerprint: str


def _run_claim_first(claim: _Claim, handler: Callable[[], Any]) -> Response:
    """Claim (committed), run the handler in its own transactions, then store its answer."""
    replay = claim_key(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint, now=clock.now())
    if replay is not None:
        return _replayed(replay)
    try:
        response = current_app.make_response(handler())
    except DomainError as error:
        response = render_domain_error(error)
    except BaseException:
        store_response(user_id=claim.user_id, key=claim.key, status=500, body=None)
        raise
    status, body = _answer(response)
    store_response(user_id=claim.user_id, key=claim.key, status=status, body=body)
    return response


def _run_atomic(claim: _Claim, handler: Callable[[], Any]) -> Response:
    """Work first, then keep the answer under the key in the same transaction; a key already kept undoes the work.

    The usual request costs one statement for its key. A retry re-runs the work, finds the key taken
    when it comes to keep its answer, rolls everything back and replays the first answer; a retry that
    is refused this time (sold out by now) looks the key up before answering.
    """
    now = clock.now()
    try:
        with transaction():
            response = current_app.make_response(handler())
            status, body = _answer(response)
            kept = keep_answer(
                user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint, status=status, body=body, now=now
            )
            if not kept:
                raise _KeyTaken()
            return response
    except _KeyTaken:
        earlier = stored_answer(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint)
        if earlier is None:  # the key was purged in between: the client may simply retry
            raise Conflict("idempotency_key_in_flight", headers={"Retry-After": "1"}) from None
        return _replayed(earlier)
    except DomainError as error:  # the work rolled back
        earlier = stored_answer(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint)
        if earlier is not None:
            return _replayed(earlier)
        response = render_domain_error(error)
        status, body = _answer(response)
        keep_answer(
            user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint, status=status, body=body, now=now
        )
        return response


class _KeyTaken(Exception):
    """Another request kept an answer under this key first."""


def _answer(response: Response) -> tuple[int, Any]:
    is_json = response.is_json or (response.mimetype or "").endswith("+json")
    return response.status_code, response.get_json(silent=True) if is_json else None


def _replayed(replay: Replay) -> Response:
    response = current_app.response_class(
        json.dumps(replay.body), status=replay.status, mimetype=_mimetype(replay.status)
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _mimetype(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
