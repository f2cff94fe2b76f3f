"""`@idempotent`: the HTTP side of idempotency keys (the header, the request's fingerprint, replayed answers).

The protocol itself is `idempotency.service.answer_once`; this door only turns requests and responses into its
terms and back.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar, cast

from flask import Response, current_app, g, request

from groupbuy import clock
from groupbuy.accounts.auth import current_user_id, one_unit_of_work
from groupbuy.errors import Invalid, render_domain_error
from groupbuy.idempotency.service import KeyedRequest, OwnKey, Replay, answer_once, request_fingerprint

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"


def idempotent(*, required: bool, atomic: bool = False, kept_by_handler: bool = False) -> Callable[[F], F]:
    """Same key + same body replays the first answer (`Idempotent-Replayed: true`); other body 422.

    ``atomic``: the handler and its kept answer commit together, and a duplicate in flight waits for the first;
    otherwise the key is claimed first and a duplicate in flight is 409 (see ``answer_once``).
    ``kept_by_handler`` (atomic, ``required``): the handler keeps its answer under ``own_key()`` itself, with its
    work, and returns that answer (checkout: the order and its answer in one statement on PostgreSQL).
    """
    if kept_by_handler and not (atomic and required):
        raise TypeError("idempotent: kept_by_handler needs atomic=True and required=True")

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
            keyed = KeyedRequest(
                user_id=current_user_id(),
                key=key,
                fingerprint=request_fingerprint(
                    method=request.method, path=request.path, body=request.get_json(silent=True)
                ),
            )
            now = clock.now()
            own = g.own_key = OwnKey(keyed, now) if kept_by_handler else None
            outcome = answer_once(
                request=keyed,
                work=lambda: current_app.make_response(func(*args, **kwargs)),
                answer_of=_answer,
                refused=render_domain_error,
                atomic=atomic,
                now=now,
                own_key=own,
            )
            return _replayed(outcome) if isinstance(outcome, Replay) else outcome

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
        # A handler that keeps its own key opens its units itself (checkout's one-line order on PostgreSQL opens
        # none): its token check stays in autocommit rather than opening a transaction early.
        return cast(F, one_unit_of_work(wrapper) if atomic and not kept_by_handler else wrapper)

    return decorator


def own_key() -> OwnKey:
    """The key the handler of this request keeps its answer under (``idempotent(kept_by_handler=True)``)."""
    key = g.get("own_key")
    if key is None:
        raise RuntimeError("own_key: the handler is not idempotent(kept_by_handler=True)")
    return cast(OwnKey, key)


def _answer(response: Response) -> tuple[int, str | None]:
    """The status and JSON text to keep (the body as sent, not parsed and encoded again); None if not JSON."""
    is_json = response.is_json or (response.mimetype or "").endswith("+json")
    return response.status_code, response.get_data(as_text=True) if is_json else None


def _replayed(replay: Replay) -> Response:
    response = current_app.response_class(
        json.dumps(replay.body), status=replay.status, mimetype=_mimetype(replay.status)
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _mimetype(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
