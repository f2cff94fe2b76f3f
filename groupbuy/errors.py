"""Domain errors with stable codes, rendered once as application/problem+json (RFC 9457)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from flask import Flask, Response, current_app, json, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from groupbuy.field_messages import localize_field_errors
from groupbuy.i18n import localized, title_for

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A rule said no. ``code`` is stable; the title comes from the i18n catalog."""

    status = 400
    code = "bad_request"
    persist = False  # commit the unit of work before propagating (see db.transaction)

    def __init__(
        self,
        code: str | None = None,
        *,
        detail: str | tuple[str, str] | None = None,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        persist: bool | None = None,
        **params: Any,
    ) -> None:
        self.code = code or self.code
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})
        self.params = params
        if persist is not None:
            self.persist = persist
        super().__init__(self.code)


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Invalid(DomainError):
    """Input that passed the schema but broke a rule: 422 with per-field errors."""

    status, code = 422, "validation_failed"


class Locked(DomainError):
    status, code = 423, "locked"


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"


class Unavailable(DomainError):
    status, code = 503, "service_unavailable"


def problem(
    status: int,
    code: str,
    *,
    detail: str | None = None,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> Response:
    """Build the one error response shape."""
    title = title_for(code, status, **(params or {}))
    body: dict[str, Any] = {
        "type": f"https://groupbuy.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    if errors:
        body["errors"] = localize_field_errors(errors)
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs(messages: Mapping[str, Any]) -> dict[str, Any]:
    """webargs nests errors by location ({"json": {...}}); clients want {"field": [...]}."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, Mapping):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def render_http_exception(error: HTTPException) -> Response:
    """Werkzeug/flask-smorest/Flask-Limiter errors in our shape, keeping their headers."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    errors = None
    code = _HTTP_CODES.get(status, "http_error")
    if "messages" in data:
        errors = _flatten_webargs(data["messages"])
        code = "validation_failed" if status == 422 else code
    if status == 429:
        headers.setdefault("Retry-After", "60")
    if status >= 500:
        log.error("http_error", status=status)
    return problem(status, code, errors=errors, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def render_domain_error(error: DomainError) -> Response:
    headers = dict(error.headers)
    if error.status in (429, 503):
        headers.setdefault("Retry-After", "1")
    return problem(
        error.status,
        error.code,
        detail=localized(error.detail) if error.detail else None,
        errors=error.errors,
        headers=headers,
        params=error.params,
    )


def render_db_operational(error: DBAPIError) -> Response:
    """Busy SQLite or an unreachable PostgreSQL: tell the client to come back shortly."""
    message = str(getattr(error, "orig", error)).lower()
    busy = "database is locked" in message or "database is busy" in message
    log.warning("database_unavailable", busy=busy, error_class=type(error.orig).__name__)
    return problem(503, "database_busy" if busy else "database_unavailable", headers={"Retry-After": "1"})


def render_pool_timeout(error: PoolTimeoutError) -> Response:
    """Every database connection busy: a client retry soon will do."""
    log.warning("database_pool_exhausted")
    return problem(503, "database_busy", headers={"Retry-After": "1"})


def render_unexpected(error: Exception) -> Response:
    """Log it with the request id; the client sees no internals."""
    log.exception("unhandled_error", path=request.path)
    return problem(500, "internal_error")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, render_domain_error)
    app.register_error_handler(OperationalError, render_db_operational)
    app.register_error_handler(PoolTimeoutError, render_pool_timeout)
    app.register_error_handler(HTTPException, render_http_exception)
    app.register_error_handler(Exception, render_unexpected)
