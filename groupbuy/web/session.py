"""The workbench's browser session: the API's own bearer token, kept in a cookie, and CSRF tokens for its forms.

No second account system: logging in calls ``login_with_password`` and the cookie holds the token it issued
(stored server-side only as its SHA-256, revoked by logout and suspension like any other). The cookie is HttpOnly
(no script can read it), SameSite=Strict (no other site's page can make the browser send it) and scoped to
/workbench (the API and the share pages never receive it); Secure when the public base URL is https.

CSRF: every form carries a token that is an HMAC of the session (its token digest) under the secret key, so it is
per session, needs no storage, and dies with the session; every POST checks it. The login form, before there is a
session, uses the same scheme on a random pre-login cookie (double submit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from flask import request
from werkzeug.wrappers import Response

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.service import Caller, identify_caller, logout
from groupbuy.accounts.service.sessions import IssuedToken, token_digest
from groupbuy.settings import settings

COOKIE = "gb_workbench"
LOGIN_COOKIE = "gb_workbench_login"
COOKIE_PATH = "/workbench"
CSRF_FIELD = "csrf_token"
# The customer-service console keeps its own cookie, scoped to /console, by the same scheme (one login form).
CONSOLE_COOKIE = "gb_console"
CONSOLE_PATH = "/console"


def _in_console() -> bool:
    return request.path == CONSOLE_PATH or request.path.startswith(CONSOLE_PATH + "/")


def _cookie() -> str:
    return CONSOLE_COOKIE if _in_console() else COOKIE


def session_token() -> str | None:
    token = request.cookies.get(_cookie(), "")
    return token if 16 <= len(token) <= 200 else None


def current_session(now: datetime) -> Caller | None:
    """Whoever the cookie's token belongs to while it lives (revoked, expired or suspended: None)."""
    token = session_token()
    return identify_caller(token=token, now=now) if token else None


def is_leader(caller: Caller) -> bool:
    return Role.LEADER in caller.role_names


def is_staff(caller: Caller) -> bool:
    """Customer service or an admin: the console's users."""
    return bool(caller.role_names & {Role.CS, Role.ADMIN})


def _sign(purpose: str, value: str) -> str:
    """An HMAC of ``value`` for ``purpose``, base64url (not hex: a page full of hex digits shows runs that look
    like mobile numbers to log and response scanners, ours included)."""
    key = settings().secret_key.encode()
    digest = hmac.new(key, f"workbench-{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token() -> str:
    """The token this session's forms carry."""
    token = session_token()
    return _sign("csrf", token_digest(token)) if token is not None else ""


def csrf_ok(*, login_form: bool = False) -> bool:
    """The POSTed token matches this session (or, for the login form, the pre-login cookie)."""
    sent = request.form.get(CSRF_FIELD, "")
    if login_form:
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        return len(nonce) >= 16 and hmac.compare_digest(sent, _sign("login", nonce))
    token = session_token()
    return token is not None and hmac.compare_digest(sent, _sign("csrf", token_digest(token)))


def _secure() -> bool:
    return settings().public_base_url.startswith("https://")


def _set(response: Response, name: str, value: str, *, expires: datetime | None, path: str = COOKIE_PATH) -> None:
    response.set_cookie(name, value, expires=expires, path=path, secure=_secure(), httponly=True, samesite="Strict")


def login_nonce() -> str:
    """The pre-login cookie's nonce, or a fresh one (then the response must set it: ``set_login_nonce``)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    return nonce if len(nonce) >= 16 else secrets.token_urlsafe(24)


def login_csrf(nonce: str) -> str:
    return _sign("login", nonce)


def set_login_nonce(response: Response, nonce: str) -> None:
    _set(response, LOGIN_COOKIE, nonce, expires=None)


def start_session(response: Response, issued: IssuedToken, *, console: bool = False) -> None:
    """The issued token into the cookie (as long as the token lives): the workbench's, or the console's for CS and
    admins; the pre-login nonce is spent."""
    if console:
        _set(response, CONSOLE_COOKIE, issued.token, expires=issued.expires_at, path=CONSOLE_PATH)
    else:
        _set(response, COOKIE, issued.token, expires=issued.expires_at)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH, secure=_secure(), httponly=True, samesite="Strict")


def revoke(token: str) -> None:
    logout(token=token, now=clock.now())


def end_session(response: Response, now: datetime) -> None:
    """Revoke the cookie's token (as the API's logout does) and clear the cookie."""
    token = session_token()
    if token is not None:
        logout(token=token, now=now)
    path = CONSOLE_PATH if _in_console() else COOKIE_PATH
    response.delete_cookie(_cookie(), path=path, secure=_secure(), httponly=True, samesite="Strict")
