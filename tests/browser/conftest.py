"""A served app and Debian's chromium for the browser tests (marked ``browser``).

The app is the real one on a loopback port (werkzeug, threaded, in this process) over its own SQLite database
built by the migrations and filled by the demo loader (`flask groupbuy demo-data`'s code), so the pages are seen
as `make run` shows them. Chromium is Debian's, driven by Playwright through ``executable_path``: Playwright's
own browser download cannot work here. Without chromium a local run skips with the reason; with CI=true the
test fails instead, so CI never passes a browser test that did not run.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from groupbuy import clock, create_app
from groupbuy.db import db, dispose_engines

CHROMIUM = os.environ.get("GROUPBUY_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
INSTALL_HINT = "apt-get install -y chromium fonts-wqy-microhei"


def _cannot_run() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} ({INSTALL_HINT}; or set GROUPBUY_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401 - only the browser tests need it
    except ImportError:
        return "playwright is not installed (make install adds the test extras)"
    return None


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"the browser test must run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


class ServedApp:
    """The app behind a werkzeug server on 127.0.0.1:<free port>, its base URL also its PUBLIC_BASE_URL."""

    def __init__(self, database: Path) -> None:
        self._app: Flask | None = None
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.app = create_app(
            {
                "ENV": "development",
                "DATABASE_URL": f"sqlite:///{database}",
                "PUBLIC_BASE_URL": self.base_url,
                "PASSWORD_HASH_PROFILE": "cheapest",
                "SECRET_KEY": "browser-test-secret-key-with-enough-length-0123",
                "SANDBOX_SIGNING_KEY": "browser-test-sandbox-signing-key-0123456789",
                "METRICS_DISABLED": True,
                "AUTH_RATE_LIMIT": "1000 per minute",
            }
        )
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self._app is not None
        return self._app.wsgi_app(environ, start_response)

    def start(self) -> None:
        self._app = self.app
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=10)
        with self.app.app_context():
            dispose_engines()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The demo world, served: migrated, demo data loaded as of now, then listening."""
    reason = _cannot_run()
    if reason:
        _skip_or_fail(reason)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from groupbuy.demo import load_demo_data

    served = ServedApp(tmp_path_factory.mktemp("browser") / "groupbuy.db")
    with served.app.app_context():
        flask_migrate.upgrade(revision="heads")
        now = clock.now()
        with clock.frozen(now):
            for _line in load_demo_data(now=now, echo=lambda _text: None):
                pass
        db.session.remove()
    served.start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def chromium(served: ServedApp) -> Iterator[Any]:
    """Headless Debian chromium (no sandbox: CI runs as root)."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        except Error as exc:
            pytest.fail(f"chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
        yield browser
        browser.close()
