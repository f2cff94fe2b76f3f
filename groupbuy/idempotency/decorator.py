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
from groupbuy.auth import current_user_id
from groupbuy.db import transaction
from groupbuy.errors import DomainError, Invalid, render_domain_error
from groupbuy.idempotency.service import Replay, claim_key, record_answer, request_fingerprint, store_response

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"


def idempotent(*, required: bool, atomic: bool = False) -> Callable[[F], F]:
    """Same key + same body replays the first answer (`Idempotent-Replayed: true`); other body 422; in flight 409.

    ``atomic``: the key is claimed, the work done and its answer stored in ONE transaction, so the work
    never commits without its answer and a crash leaves no claim behind. A duplicate sent while the first
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
                "description": "Same key and body replays the first response; other body 422; in flight 409.",
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
    """Claim, work and answer in one transaction; a refusal is recorded after its work rolled back."""
    now = clock.now()
    working = False
    try:
        with transaction():
            replay = claim_key(user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint, now=now)
            if replay is not None:
                return _replayed(replay)
            working = True
            response = current_app.make_response(handler())
            status, body = _answer(response)
            store_response(user_id=claim.user_id, key=claim.key, status=status, body=body)
            return response
    except DomainError as error:
        if not working:  # the key itself was refused (reused with another body)
            raise
        response = render_domain_error(error)
        status, body = _answer(response)
        record_answer(
            user_id=claim.user_id, key=claim.key, fingerprint=claim.fingerprint, status=status, body=body, now=now
        )
        return response


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
