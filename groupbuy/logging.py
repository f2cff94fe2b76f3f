"""structlog setup: one line per request with its id; phone numbers masked, secrets dropped.

The masker runs last, after exceptions are formatted, on structlog events and on records of plain
``logging`` loggers alike, so a traceback's text is masked like any other value. SQL parameters never
reach an exception in the first place (``hide_parameters`` on the engine, groupbuy/config.py).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from flask import Flask, Response, g, request

from groupbuy.common.fields import mask_mobiles_in_text
from groupbuy.settings import Settings

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_SECRET_KEYS = {
    "password",
    "new_password",
    "token",
    "code",
    "session_key",
    "secret",
    "authorization",
    "password_hash",
    "token_hash",
    "code_hash",
}


# Secrets that can turn up inside free text (an exception message, a database error's DETAIL line).
_SECRETS_IN_TEXT = [
    (re.compile(r"\$argon2(?:id|i|d)\$[^\s'\",)\]]*"), "[redacted]"),  # a password hash
    (re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])"), "[redacted]"),  # token / code digests
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: redacted]"),  # SQLAlchemy's bound values
    (re.compile(r"(Failing row contains ).*"), r"\1(redacted)"),  # PostgreSQL: the whole row
    (re.compile(r"(Key \([^)\n]*\)=)\(.*"), r"\1(redacted)"),  # PostgreSQL: the conflicting values
]


def mask_secrets_in_text(text: str) -> str:
    """Mask password hashes, digests, SQL parameters, database row dumps and mobile numbers in free text."""
    for pattern, replacement in _SECRETS_IN_TEXT:
        text = pattern.sub(replacement, text)
    return mask_mobiles_in_text(text)


def _scrub(_logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop secret-named keys and mask secrets in every text value, the formatted exception included.

    Runs after ``format_exc_info``: a traceback is text by then. Console deliveries are left alone.
    """
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
    if event.get("logger") == "groupbuy.console_channel":
        return event  # a development delivery: the developer needs the code it carries
    for key, value in event.items():
        if isinstance(value, str) and key != "body":
            event[key] = mask_secrets_in_text(value)
    return event


def configure_logging(app: Flask, settings: Settings) -> None:
    level = getattr(logging, settings.log_level)
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # below LOG_LEVEL, drop the event before any other work
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            stamp,
            structlog.processors.format_exc_info,  # the traceback becomes text...
            _scrub,  # ...and is masked with everything else
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    if not any(getattr(h, "_groupbuy", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(log_formatter(renderer))
        handler._groupbuy = True  # type: ignore[attr-defined]  # mark ours so re-init does not stack handlers
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _install_request_hooks(app)


def log_formatter(renderer: Any) -> logging.Formatter:
    """Render structlog events and plain ``logging`` records (SQLAlchemy, Flask, libraries) the same way:
    their exception formatted first, then masked."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_logger_name,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _scrub,
            renderer,
        ],
    )


def _install_request_hooks(app: Flask) -> None:
    access = structlog.get_logger("groupbuy.access")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    access_enabled = logging.getLogger("groupbuy.access").isEnabledFor(logging.INFO)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if not access_enabled:
            return response
        elapsed_ms = round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1)
        rule = request.url_rule.rule if request.url_rule else "<unmatched>"
        access.info(
            "request", method=request.method, route=rule, path=request.path, status=response.status_code, ms=elapsed_ms
        )
        return response
