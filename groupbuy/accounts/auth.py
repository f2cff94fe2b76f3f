"""Bearer-token authentication and the one role check."""

from __future__ import annotations

import functools
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar, cast

import structlog
from flask import g, request

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.accounts.service import Caller, get_user_if_any, identify_caller
from groupbuy.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])
SECURITY_SCHEME = "bearerAuth"
SIGNED_IN: tuple[Role, ...] = ()  # require_roles(*SIGNED_IN): any signed-in user, whatever their roles


_ONE_UNIT_OF_WORK = "_groupbuy_one_unit_of_work"


def one_unit_of_work(func: F) -> F:
    """Mark a view whose whole request is one unit of work on the database and calls nothing outside it (an
    atomic ``@idempotent``): ``require_roles`` above it checks the token inside that unit's transaction."""
    setattr(func, _ONE_UNIT_OF_WORK, True)
    return func


def bearer_token() -> str | None:
    """The token from `Authorization: Bearer <token>`, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_caller() -> Caller:
    """Who sent this request (only inside @require_roles routes): id and roles, no user row loaded."""
    caller: Caller | None = g.get("caller")
    if caller is None:
        raise Unauthorized()
    return caller


def current_user_id() -> int:
    """The authenticated user's id (only inside @require_roles routes)."""
    return current_caller().id


def current_user() -> User:
    """The authenticated user of this request, loaded on first use (only inside @require_roles routes)."""
    if g.get("current_user") is None:
        user = get_user_if_any(user_id=current_caller().id)
        if user is None:  # deleted since the token was checked
            raise Unauthorized()
        g.current_user = user
    return cast(User, g.current_user)


def optional_caller(*, in_unit_of_work: bool = False) -> Caller | None:
    """The caller if a valid token was sent, else None (public routes that personalise call this too).

    ``in_unit_of_work``: see ``identify_caller`` (routes marked with ``one_unit_of_work``)."""
    if "caller" not in g:
        token = bearer_token()
        g.caller = identify_caller(token=token, now=clock.now(), in_unit_of_work=in_unit_of_work) if token else None
        if g.caller is not None:
            structlog.contextvars.bind_contextvars(user_id=g.caller.id)
    return cast("Caller | None", g.caller)


def require_roles(*roles: Role) -> Callable[[F], F]:
    """401 without a live token (revoked, expired, suspended); 403 without one of ``roles``."""

    def decorator(func: F) -> F:
        in_unit_of_work = getattr(func, _ONE_UNIT_OF_WORK, False)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = optional_caller(in_unit_of_work=in_unit_of_work)
            if caller is None:
                raise Unauthorized()
            if roles and not (caller.role_names & set(roles)):
                raise Forbidden()
            return func(*args, **kwargs)

        doc = deepcopy(getattr(func, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["security"] = [{SECURITY_SCHEME: []}]
        responses = manual.setdefault("responses", {})
        responses["401"] = "UNAUTHORIZED"
        if roles:
            responses["403"] = "FORBIDDEN"
            roles_text = ", ".join(r.value for r in roles)
            manual["description"] = (manual.get("description", "") + f"\n\nRoles: {roles_text}.").strip()
        wrapper._apidoc = doc  # type: ignore[attr-defined]  # flask-smorest reads docs from here
        return cast(F, wrapper)

    return decorator
