"""Security headers on JSON and HTML answers; the HTML pages work under their CSP; the dev sandbox key is random."""

from __future__ import annotations

import hashlib
import hmac
import re
import stat
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from groupbuy.config import DEFAULT_SECRET_KEY, install_sandbox_key, load_config
from groupbuy.payments.providers.sandbox import sandbox_key
from groupbuy.settings import Settings
from tests.factories.market import Shop
from tests.payments.domain import place_order, start

COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def _directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def _assert_common(response: TestResponse) -> dict[str, list[str]]:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    csp = _directives(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    return csp


class _Page(HTMLParser):
    """What a browser enforcing the CSP would load or run from this page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[tuple[str, str | None]] = []  # (tag, nonce) of inline <script>/<style>
        self.sources: list[str] = []  # src / href of scripts and stylesheets
        self.inline_attributes: list[str] = []  # style="…" or on…= handlers: never allowed by a nonce
        self.forms: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.inline_attributes += [name for name in attributes if name == "style" or name.startswith("on")]
        if tag == "script" and attributes.get("src"):
            self.sources.append(str(attributes["src"]))
        elif tag in ("script", "style"):
            self.inline.append((tag, attributes.get("nonce")))
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.sources.append(str(attributes["href"]))
        elif tag == "form":
            self.forms.append(attributes.get("action"))


def _assert_page_runs_under_its_csp(client: FlaskClient, response: TestResponse) -> _Page:
    csp = _assert_common(response)
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9_-]{16,})'", csp["script-src"][-1])
    assert nonce is not None, csp
    assert csp["script-src"] == ["'self'", f"'nonce-{nonce[1]}'"]
    assert csp["style-src"] == ["'self'", f"'nonce-{nonce[1]}'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    page = _Page()
    page.feed(response.get_data(as_text=True))
    assert page.inline, "no inline block: then the page needs no nonce"
    assert all(found == nonce[1] for _, found in page.inline), page.inline
    assert page.inline_attributes == []
    for source in page.sources:  # 'self': same origin, and really served
        assert source.startswith("/") and not source.startswith("//"), source
        assert client.get(source).status_code == 200, source
    return page


def test_json_answers_carry_the_headers(client: FlaskClient) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/api/openapi.json"),
        client.get("/api/v1/me"),  # 401 problem+json
        client.get("/api/v1/nowhere"),  # 404
    ):
        csp = _assert_common(response)
        assert set(csp) == {"default-src", "frame-ancestors", "base-uri", "form-action"}  # nothing may run


def test_swagger_ui_runs_under_its_csp(client: FlaskClient) -> None:
    first, second = client.get("/api/docs"), client.get("/api/docs")
    assert first.status_code == 200 and first.mimetype == "text/html"
    page = _assert_page_runs_under_its_csp(client, first)
    assert "/api/swagger-ui/swagger-ui-bundle.js" in page.sources
    assert "/api/swagger-ui/swagger-ui.css" in page.sources
    assert '"/api/openapi.json"' in first.get_data(as_text=True)
    assert _directives(first)["img-src"] == ["'self'", "data:"]  # swagger-ui.css draws its icons as data: URIs
    assert _directives(first)["connect-src"] == ["'self'"]  # the spec and "Try it out"
    assert _directives(first)["script-src"] != _directives(second)["script-src"]  # a nonce per response


def test_sandbox_checkout_page_runs_under_its_csp(shop: Shop, client: FlaskClient) -> None:
    payment = start(client, place_order(shop, client), "sandbox")
    path = "/pay/sandbox/" + str(payment["code_url"]).rsplit("/", 1)[1]
    page = _assert_page_runs_under_its_csp(client, client.get(path))
    assert page.forms == [None, None]  # posted back to this page: form-action 'self'
    assert _directives(client.get(path))["form-action"] == ["'self'"]
    _assert_page_runs_under_its_csp(client, client.get("/pay/sandbox/forged"))  # the 404 page too
    _assert_page_runs_under_its_csp(client, client.post(path, data={"result": "nonsense"}))  # and the 400 one


def _dev_settings(instance: Path) -> Settings:
    app = Flask("groupbuy_dev_check", instance_path=str(instance))
    return load_config(app, {"DATABASE_URL": "sqlite://"})  # development, the public default secret


def test_development_sandbox_key_is_random_per_install_not_derived_from_the_default_secret(tmp_path: Path) -> None:
    settings = _dev_settings(tmp_path / "one")
    assert settings.env == "development" and settings.secret_key == DEFAULT_SECRET_KEY
    key = sandbox_key(settings)

    old_derivation = hmac.new(DEFAULT_SECRET_KEY.encode(), b"groupbuy.payments.sandbox", hashlib.sha256).digest()
    assert key not in (old_derivation, DEFAULT_SECRET_KEY.encode())
    assert DEFAULT_SECRET_KEY not in key.decode()
    assert len(key) >= 32
    assert sandbox_key(_dev_settings(tmp_path / "one")) == key  # kept: links stay valid across restarts
    assert sandbox_key(_dev_settings(tmp_path / "two")) != key  # another install, another key
    stored = tmp_path / "one" / "sandbox_signing_key"
    assert stored.read_text().strip().encode() == key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["sandbox_signing_key"]  # no draft left behind


def test_a_configured_sandbox_key_wins_and_tests_make_no_key_file(tmp_path: Path) -> None:
    app = Flask("groupbuy_dev_check", instance_path=str(tmp_path))
    settings = load_config(app, {"DATABASE_URL": "sqlite://", "SANDBOX_SIGNING_KEY": "configured-sandbox-key-0123"})
    assert sandbox_key(settings) == b"configured-sandbox-key-0123"
    test_app = Flask("groupbuy_test_check", instance_path=str(tmp_path / "test"))
    load_config(test_app, {"DATABASE_URL": "sqlite://", "ENV": "test"})
    assert not (tmp_path / "sandbox_signing_key").exists() and not (tmp_path / "test").exists()


def test_an_existing_key_file_is_kept(tmp_path: Path) -> None:
    first = install_sandbox_key(tmp_path)
    (tmp_path / "sandbox_signing_key").unlink()
    (tmp_path / "sandbox_signing_key").write_text("made-by-another-worker-0123456789")
    assert install_sandbox_key(tmp_path) == "made-by-another-worker-0123456789" != first
