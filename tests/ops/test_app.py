"""Health, readiness, metrics, docs, request ids, the error shape, production safety."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from groupbuy import create_app
from groupbuy.config import ConfigError
from groupbuy.db import db
from groupbuy.errors import render_db_operational
from groupbuy.extensions import limiter
from groupbuy.settings import EXTENSION_KEY as SETTINGS_KEY


def test_healthz_and_readyz(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json


def test_readyz_is_503_when_migrations_are_behind(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "ENV": "test"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "migrations" in response.json["detail"]
    assert response.headers["Retry-After"]


def test_openapi_and_offline_docs(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    docs = client.get("/api/docs").get_data(as_text=True)
    assert "/api/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    assert client.get("/api/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_every_operation_documents_errors_and_security(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation["responses"]
            assert "default" in responses, (method, path)
            if operation.get("security"):
                assert "401" in responses, (method, path)
            if operation.get("requestBody"):
                assert "422" in responses, (method, path)


def test_metrics_count_requests_by_route(client: FlaskClient) -> None:
    client.get("/healthz")
    client.get("/api/v1/me")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'flask_http_request_duration_seconds_count{method="GET",status="401",url_rule="/api/v1/me"}' in text
    assert 'flask_http_request_duration_seconds_count{method="GET",status="200",url_rule="/healthz"}' in text


def test_request_id_is_echoed_or_generated(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert len(generated) == 32
    assert " " not in generated


def test_request_log_line_carries_request_id(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="groupbuy.access"):
        client.get("/healthz", headers={"X-Request-Id": "trace-42"})
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "request"]
    assert events
    assert events[-1]["request_id"] == "trace-42"
    assert events[-1]["status"] == 200


def test_unknown_route_and_method_are_problem_json(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nope")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert missing.json["code"] == "not_found"
    wrong_method = client.delete("/api/v1/auth/login")
    assert wrong_method.status_code == 405
    assert "POST" in wrong_method.headers["Allow"]


def test_malformed_json_is_4xx_not_500(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.content_type == "application/problem+json"


def test_non_strict_numbers_are_refused(client: FlaskClient, app: Flask) -> None:
    from tests.factories.accounts import bearer, make_user

    with app.app_context():
        headers = bearer(make_user())
    response = client.post(
        "/api/v1/me/addresses",
        headers=headers,
        json={"recipient": "a", "phone": 13912345678, "province": "p", "city": "c", "district": "d", "detail": "x"},
    )
    assert response.status_code == 422


def test_500_shows_no_internals(database_url: str) -> None:
    app = create_app({"DATABASE_URL": database_url, "ENV": "test"})

    @app.get("/boom-test-only")
    def boom() -> str:
        raise RuntimeError("secret internals: /etc/passwd")

    response = app.test_client().get("/boom-test-only")
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    body = response.get_data(as_text=True)
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert response.json["code"] == "internal_error"


def test_sqlite_lock_becomes_503_with_retry_after(app: Flask) -> None:
    error = OperationalError("UPDATE deals", {}, Exception("database is locked"))
    with app.test_request_context():
        response = render_db_operational(error)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json["code"] == "database_busy"


def test_body_size_is_limited(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/login", data=b"x" * (1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # default secret
        {"SECRET_KEY": "x" * 40},  # fake WeChat client, console channels
        {"SECRET_KEY": "x" * 40, "WECHAT_LOGIN_CLIENT": "http"},  # console SMS still
    ],
)
def test_production_refuses_development_fakes(overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://", **overrides})


PRODUCTION = {
    "ENV": "production",
    "DATABASE_URL": "sqlite://",
    "SECRET_KEY": "x" * 40,
    "WECHAT_LOGIN_CLIENT": "http",
    "SMS_CHANNEL": "webhook",
    "EMAIL_CHANNEL": "smtp",
    "PAYMENT_CHANNELS": "wechat_native,wechat_jsapi",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
}


@pytest.mark.usefixtures("own_limiter")
def test_production_starts_with_real_settings() -> None:
    app = create_app(PRODUCTION)
    assert app.extensions[SETTINGS_KEY].env == "production"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


@pytest.mark.usefixtures("own_limiter")
def test_production_refuses_per_process_throttling() -> None:
    """Without shared storage each gunicorn worker counts its own logins (4 workers: 4x the limit)."""
    without_redis = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app(without_redis)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app({**without_redis, "RATELIMIT_STORAGE_URI": "memory://"})
    shared = create_app({**without_redis, "RATELIMIT_STORAGE_URI": "redis+sentinel://127.0.0.1:26379/mymaster"})
    assert shared.config["RATELIMIT_STORAGE_URI"] == "redis+sentinel://127.0.0.1:26379/mymaster"


def test_no_limiter_hook_runs_before_every_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every limit decorates its own view; the extension's before-every-request check is taken out (it had
    nothing to enforce)."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "ENV": "test"})
    hooks = app.before_request_funcs.get(None, [])
    assert not [hook for hook in hooks if getattr(hook, "__self__", None) is limiter], hooks
    assert app.test_client().get("/healthz").status_code == 200


def test_an_app_with_limits_switched_off_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """RATELIMIT_ENABLED false (the fuzzing run's setting): the extension adds no hook, and the app still starts.
    In a process of its own: the limiter is one object shared by every app here, and switching it off would
    switch off the limits of the suite's app too."""
    script = (
        "import sys; from groupbuy import create_app; "
        "app = create_app({'DATABASE_URL': sys.argv[1], 'ENV': 'test', 'RATELIMIT_ENABLED': False}); "
        "print(app.test_client().get('/healthz').status_code)"
    )
    ran = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, f"sqlite:///{tmp_path / 'b.db'}"], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip().splitlines()[-1] == "200"


def test_create_app_opens_no_connection(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "untouched.db"
    create_app({"DATABASE_URL": f"sqlite:///{target}", "ENV": "test"})
    assert not target.exists()


@pytest.mark.pg
def test_a_dropped_connection_costs_one_503_then_the_pool_recovers(app: Flask, client: FlaskClient, shop: Any) -> None:
    """No pre-ping (DB_POOL_PRE_PING off): the first use of a killed connection is a 503, the next is served.
    A signed-in read uses both pools (the token check stands alone in the autocommit pool, the page reads in the
    session's): the first failure empties the other pool too, so the server going away costs one 503."""
    headers = shop.auth(shop.shopper())
    assert client.get("/api/v1/deals", headers=headers).status_code == 200  # each pool now holds a connection
    with app.app_context():
        dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'groupbuy' AND pid <> pg_backend_pid() AND datname = current_database()"
        ).fetchone()
    assert killed is not None and killed[0] >= 2
    first = client.get("/api/v1/deals", headers=headers)
    assert first.status_code == 503 and first.headers["Retry-After"]
    assert client.get("/api/v1/deals", headers=headers).status_code == 200
    assert client.get("/api/v1/deals").status_code == 200
