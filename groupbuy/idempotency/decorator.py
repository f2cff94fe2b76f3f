"""`@idempotent`: the HTTP side of idempotency keys (header, replay, storage of the answer)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar, cast

from flask import current_app, request

from groupbuy import clock
from groupbuy.auth import current_user
from groupbuy.errors import DomainError, Invalid, render_domain_error
from groupbuy.idempotency.service import claim_key, request_fingerprint, store_response

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"


def idempotent(*, required: bool) -> Callable[[F], F]:
    """Same key + same body replays the first answer (`Idempotent-Replayed: true`); other body 422; in flight 409."""

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
            user_id = current_user().id
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
                response = current_app.make_response(func(*args, **kwargs))
            except DomainError as error:
                response = render_domain_error(error)
            except BaseException:
                store_response(user_id=user_id, key=key, status=500, body=None)
                raise
            is_json = response.is_json or (response.mimetype or "").endswith("+json")
            body = response.get_json(silent=True) if is_json else None
            store_response(user_id=user_id, key=key, status=response.status_code, body=body)
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


def _mimetype(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
