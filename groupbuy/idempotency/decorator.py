"""`@idempotent`: the HTTP side of idempotency keys (header, replay, storage of the answer)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from contextlib import nullcontext
from copy import deepcopy
from typing import Any, TypeVar, cast

from flask import Response, current_app, request

from groupbuy import clock
from groupbuy.auth import current_user_id
from groupbuy.db import transaction
from groupbuy.errors import DomainError, Invalid, render_domain_error
from groupbuy.idempotency.service import claim_key, request_fingerprint, store_response

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"


def idempotent(*, required: bool, atomic: bool = False) -> Callable[[F], F]:
    """Same key + same body replays the first answer (`Idempotent-Replayed: true`); other body 422; in flight 409.

    ``atomic``: store the answer in the same transaction as the handler's work (one commit, and never the
    work without its answer). Only for handlers that call nobody outside the database: a handler that
    commits before an outbound call (payments) must keep its own transactions.
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
            user_id = current_user_id()
            fingerprint = request_fingerprint(
                method=request.method, path=request.path, body=request.get_json(silent=True)
            )
            replay = claim_key(user_id=user_id, key=key, fingerprint=fingerprint, now=clock.now())
            if replay is not None:
                response = current_app.response_class(
                    json.dumps(replay.body), status=replay.status, mimetype=_mimetype(replay.status)
                )
                response.headers["Idempotent-Replayed"] = "true"
                return response
            try:
                with transaction() if atomic else nullcontext():
                    response = current_app.make_response(func(*args, **kwargs))
                    _store(user_id, key, response)
            except DomainError as error:  # the work rolled back; the refusal is the answer to replay
                response = render_domain_error(error)
                _store(user_id, key, response)
            except BaseException:
                store_response(user_id=user_id, key=key, status=500, body=None)
                raise
            return response

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


def _store(user_id: int, key: str, response: Response) -> None:
    is_json = response.is_json or (response.mimetype or "").endswith("+json")
    body = response.get_json(silent=True) if is_json else None
    store_response(user_id=user_id, key=key, status=response.status_code, body=body)


def _mimetype(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
