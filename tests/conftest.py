"""Fixtures: one migrated database per session, emptied after every test; secret-leak scanning.

Isolation is by emptying tables rather than rolling back: the concurrency tests need real commits
across connections, and one mechanism for every test keeps behaviour identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import structlog
from flask import Flask, Response, request
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.exceptions import HTTPException

import groupbuy.models  # noqa: F401 - every table on the metadata
from groupbuy import create_app
from groupbuy.accounts.models import AuthToken, User, VerificationCode, WeChatIdentity
from groupbuy.db import db, dispose_engines
from groupbuy.extensions import limiter
from groupbuy.logging import log_formatter
from groupbuy.notifications.models import OutboxMessage
from groupbuy.registry import EXTENSION_KEY as REGISTRY_KEY
from groupbuy.registry import Registry, Slot
from groupbuy.settings import EXTENSION_KEY as SETTINGS_KEY
from groupbuy.settings import Settings

TEST_DATABASE_URL = os.environ.get("GROUPBUY_TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))
DEFAULT_PASSWORD = "CooigHello290"
SANDBOX_SIGNING_KEY = "test-sandbox-signing-key-0123456789"
RAW_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PASSWORD_HASH = re.compile(r"\$argon2(?:id|i|d)\$\S+")  # any, not only those still in the users table


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL row locking: set GROUPBUY_TEST_DATABASE_URL (CI does)")
    for item in items:
        if "pg" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)


class Captured:
    """Every response body and log line the suite produces, per test."""

    def __init__(self) -> None:
        self.responses: list[tuple[str, str]] = []
        self.request_secrets: set[str] = set()
        self.bearer_tokens: set[str] = set()  # sent and issued: fine in a login answer, never in a log
        self.logs: list[str] = []


CAPTURED = Captured()


class _LogCapture(logging.Handler):
    """Keeps each record twice: its event as structlog built it, and the line our handler writes for it
    (rendered by the application's formatter: the formatted exception and traceback included)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "groupbuy.console_channel":
            return  # development delivery channel: it exists to show the code to the developer
        event = record.msg if isinstance(record.msg, dict) else {"event": record.getMessage()}
        CAPTURED.logs.append(repr(event))
        CAPTURED.logs.append(self.format(record))


LOG_CAPTURE = _LogCapture()
LOG_CAPTURE.setFormatter(log_formatter(structlog.dev.ConsoleRenderer(colors=False)))


def _test_config(url: str) -> dict[str, Any]:
    return {
        "ENV": "test",
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-with-enough-length-0123456789",
        "SANDBOX_SIGNING_KEY": SANDBOX_SIGNING_KEY,
        "PASSWORD_HASH_PROFILE": "cheapest",
        "LOG_LEVEL": "INFO",
        "PUBLIC_BASE_URL": "http://testserver",
        "READ_CACHE_SECONDS": 0,  # off: tests read what they just wrote; tests/groups/test_read_cache.py turns it on
    }


def busy_config(url: str, **more: Any) -> dict[str, Any]:
    """A second app's settings on the suite's database: a pool big enough for every thread, no throttling.
    Not TESTING: an unhandled error answers 500 as in production instead of raising into the thread."""
    return {
        "DATABASE_URL": url,
        "ENV": "test",
        "PASSWORD_HASH_PROFILE": "cheapest",
        "SECRET_KEY": "test-secret-key-with-enough-length-0123456789",
        "SANDBOX_SIGNING_KEY": SANDBOX_SIGNING_KEY,
        "METRICS_DISABLED": True,
        "DB_POOL_SIZE": 40,
        "DB_POOL_TIMEOUT": 60,
        "AUTH_RATE_LIMIT": "100000 per minute",
        "STORAGE_LOCAL_DIR": str(Path(tempfile.gettempdir()) / "groupbuy-test-media"),
        **more,
    }


@contextmanager
def second_app(url: str, **more: Any) -> Iterator[Flask]:
    """A second app on the same database (its own engine and pool), disposed afterwards."""
    app = create_app(busy_config(url, **more))
    yield app
    with app.app_context():
        dispose_engines()


@pytest.fixture
def busy_app(database_url: str) -> Iterator[Flask]:
    """A second app for tests that hit the database from many threads at once."""
    with second_app(database_url) as app:
        yield app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'groupbuy-test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application, on a database built by the migrations (so they are tested every run); uploaded files go to
    a temporary directory, never into the repository."""
    media = tmp_path_factory.mktemp("media")
    application = create_app({**_test_config(database_url), "STORAGE_LOCAL_DIR": str(media)})
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade(revision="heads")
        db.session.remove()

    @application.after_request
    def _capture(response: Response) -> Response:
        try:
            body = request.get_json(silent=True)
        except HTTPException:  # e.g. 413: the body was refused before anyone read it
            body = None
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and len(sent.strip()) >= 16:
            CAPTURED.bearer_tokens.add(sent.strip())
        answer = response.get_json(silent=True) if response.is_json and not response.direct_passthrough else None
        if isinstance(answer, dict) and isinstance(answer.get("token"), str):
            CAPTURED.bearer_tokens.add(answer["token"])
        if isinstance(body, dict):
            for key in ("password", "new_password"):
                if isinstance(body.get(key), str) and len(body[key]) >= 6:
                    CAPTURED.request_secrets.add(body[key])
        if (
            response.mimetype
            and ("json" in response.mimetype or response.mimetype.startswith("text/"))
            and not response.direct_passthrough
        ):
            CAPTURED.responses.append((request.path, response.get_data(as_text=True)))
        return response

    logging.getLogger().addHandler(LOG_CAPTURE)
    application.config["_BASE_CONFIG"] = dict(application.config)
    _BASE[application] = (application.extensions[SETTINGS_KEY], application.extensions[REGISTRY_KEY].copy())
    yield application
    logging.getLogger().removeHandler(LOG_CAPTURE)
    with application.app_context():
        dispose_engines()


_BASE: dict[Flask, tuple[Settings, Registry]] = {}


def tune(app: Flask, **changes: Any) -> Settings:
    """Change some of this app's settings for the rest of the test (checked as at start; restored afterwards)."""
    changed = app.extensions[SETTINGS_KEY].replace(**changes)
    app.extensions[SETTINGS_KEY] = changed
    return changed


def swap(app: Flask, slot: Slot[Any], implementation: Any, key: str = "") -> None:
    """Install an implementation (a fake, or a real one pointed at a fake server) in this app's registry for the
    rest of the test, or remove the entry with None; the session app gets its registry back afterwards."""
    if implementation is None:
        app.extensions[REGISTRY_KEY].remove(slot, key)
    else:
        app.extensions[REGISTRY_KEY].install(slot, implementation, key)


# Reference data the migrations seed (the membership tiers): kept between tests like the schema itself.
SEEDED_TABLES = frozenset({"membership_tiers"})


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in SEEDED_TABLES]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


def _known_secrets() -> set[str]:
    secrets = {DEFAULT_PASSWORD, *CAPTURED.request_secrets}
    secrets.update(db.session.scalars(select(AuthToken.token_hash)))
    secrets.update(h for h in db.session.scalars(select(User.password_hash)) if h)
    secrets.update(db.session.scalars(select(VerificationCode.code_hash)))
    secrets.update(db.session.scalars(select(WeChatIdentity.session_key)))
    for payload in db.session.scalars(select(OutboxMessage.payload)):
        if isinstance(payload, dict) and payload.get("code"):
            secrets.add(str(payload["code"]))
    return secrets


def _leaks(text_: str, secrets: set[str]) -> list[str]:
    found = [f"raw phone {m}" for m in RAW_MOBILE.findall(text_)]
    found += [f"password hash {m[:12]}…" for m in PASSWORD_HASH.findall(text_)]
    for secret in secrets:
        pattern = rf"(?<!\d){re.escape(secret)}(?!\d)" if secret.isdigit() else re.escape(secret)
        if re.search(pattern, text_):
            found.append(f"secret {secret[:3]}…")
    return found


@pytest.fixture(autouse=True)
def _isolation(app: Flask) -> Iterator[None]:
    """Fresh settings, limits and outside implementations; afterwards scan for leaks, then empty the tables."""
    root = logging.getLogger()
    if LOG_CAPTURE not in root.handlers:  # alembic's fileConfig (a migrations test) replaces the root's handlers
        root.addHandler(LOG_CAPTURE)
    CAPTURED.responses.clear()
    CAPTURED.logs.clear()
    CAPTURED.request_secrets.clear()
    CAPTURED.bearer_tokens.clear()
    limiter.reset()
    structlog.contextvars.clear_contextvars()
    yield
    problems: list[str] = []
    with app.app_context():
        try:
            secrets = _known_secrets()
            for path, body in CAPTURED.responses:
                problems += [f"response {path}: {leak}" for leak in _leaks(body, secrets)]
            log_secrets = secrets | CAPTURED.bearer_tokens
            for line in CAPTURED.logs:
                problems += [f"log: {leak}: {line[:200]}" for leak in _leaks(line, log_secrets)]
        finally:
            db.session.remove()
            _empty_tables()
            base = app.config["_BASE_CONFIG"]
            app.config.clear()
            app.config.update(base)
            app.config["_BASE_CONFIG"] = base
            settings, registry = _BASE[app]
            app.extensions[SETTINGS_KEY], app.extensions[REGISTRY_KEY] = settings, registry.copy()
    assert not problems, "secrets or raw phone numbers leaked:\n" + "\n".join(problems[:20])


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for calling services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def shop(app: Flask) -> Any:
    """One leader, deals on sale around T0 and shoppers who chose that leader (tests.factories.market)."""
    from tests.factories.market import Shop

    return Shop(app)


@pytest.fixture
def desk(app: Flask, shop: Any) -> Any:
    """The Shop's leader at their desk, and a second leader on demand (tests.factories.desk)."""
    from tests.factories.desk import Desk

    return Desk(app, shop)


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def own_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps made inside a test get their own Flask-Limiter: init_app on the shared one would swap the
    session app's storage (e.g. to the Redis a production configuration names)."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    import groupbuy

    monkeypatch.setattr(groupbuy, "limiter", Limiter(key_func=get_remote_address, default_limits=[]))


@pytest.fixture
def tmp_instance(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def coupons(app: Flask) -> Any:
    """An admin and coupon templates (tests.factories.coupons)."""
    from tests.factories.coupons import Coupons

    return Coupons(app)
