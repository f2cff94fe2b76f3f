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
from groupbuy.accounts.service import authenticate_token
from groupbuy.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])
SECURITY_SCHEME = "bearerAuth"
ANYONE: tuple[Role, ...] = ()


def bearer_token() -> str | None:
    """The token from `Authorization: Bearer <token>`, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user() -> User:
    """The authenticated user of this request (only inside @require_roles routes)."""
    user: User | None = g.get("current_user")
    if user is None:
        raise Unauthorized()
    return user


def optional_user() -> User | None:
    """The caller if a valid token was sent, else None (public routes that personalise)."""
    if "current_user" not in g:
        token = bearer_token()
        g.current_user = authenticate_token(token=token, now=clock.now()) if token else None
        if g.current_user is not None:
            structlog.contextvars.bind_contextvars(user_id=g.current_user.id)
    return cast("User | None", g.current_user)


def require_roles(*roles: Role) -> Callable[[F], F]:
    """401 without a live token (revoked, expired, suspended); 403 without one of ``roles``."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = optional_user()
            if user is None:
                raise Unauthorized()
            if roles and not (user.role_names & set(roles)):
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
