"""Registration, login, lockout and unlock, throttling, WeChat login, tokens and their revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import AuthToken, User, WeChatIdentity
from groupbuy.accounts.service.sessions import token_digest
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from tests.accounts.conftest import register, send_code
from tests.conftest import DEFAULT_PASSWORD, tune
from tests.factories.accounts import bearer, make_user
from tests.fakes.senders import RecordingSender
from tests.rows import unchanged

PHONE = "13800138000"
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _login(client: FlaskClient, password: str, login: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


def test_register_returns_token_and_masked_user(client: FlaskClient, outbox: RecordingSender, app: Flask) -> None:
    response = register(client, outbox)
    assert response.status_code == 201
    body = response.json
    assert body["user"]["phone"] == "138****8000"
    assert body["user"]["roles"] == ["shopper"]
    assert body["is_new"] is True
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json["id"] == body["user"]["id"]
    with app.app_context():
        stored = db.session.scalar(select(AuthToken.token_hash))
        assert stored == token_digest(body["token"])
        assert stored != body["token"]
        assert len(body["token"]) >= 22  # ≥128 bits in url-safe base64


def test_register_rejects_weak_password_per_field(client: FlaskClient, outbox: RecordingSender) -> None:
    response = register(client, outbox, password="abcdefgh")
    assert response.status_code == 422
    assert response.json["code"] == "weak_password"
    assert "password" in response.json["errors"]


def test_register_twice_is_409(client: FlaskClient, outbox: RecordingSender) -> None:
    with clock.frozen(T0):
        assert register(client, outbox).status_code == 201
    with clock.frozen(T0 + timedelta(minutes=2)):
        response = register(client, outbox)
    assert response.status_code == 409
    assert response.json["code"] == "phone_taken"


def test_mass_assignment_is_refused(client: FlaskClient, outbox: RecordingSender) -> None:
    send_code(client, PHONE)
    response = client.post(
        "/api/v1/auth/register",
        json={"phone": PHONE, "password": DEFAULT_PASSWORD, "code": outbox.last_code(PHONE), "roles": ["admin"]},
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"roles": ["不支持该字段"]}


def test_login_with_password(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    response = _login(client, DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert response.json["user"]["phone"] == "138****8000"
    wrong = _login(client, "WrongPass123")
    assert wrong.status_code == 401
    assert wrong.json["code"] == "invalid_credentials"
    unknown = _login(client, DEFAULT_PASSWORD, login="13800138999")
    assert unknown.status_code == 401
    assert unknown.json["code"] == "invalid_credentials"


def test_lockout_after_five_failures_and_lock_expiry(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    with clock.frozen(T0):
        statuses = [_login(client, "WrongPass123").status_code for _ in range(5)]
        assert statuses == [401, 401, 401, 401, 423]
        locked = _login(client, DEFAULT_PASSWORD)  # right password, still locked
        assert locked.status_code == 423
        assert locked.json["code"] == "account_locked"
        assert int(locked.headers["Retry-After"]) > 0
    with clock.frozen(T0 + timedelta(minutes=14, seconds=59)):
        assert _login(client, DEFAULT_PASSWORD).status_code == 423
    with clock.frozen(T0 + timedelta(minutes=15, seconds=1)):
        assert _login(client, DEFAULT_PASSWORD).status_code == 200


def test_failures_outside_the_window_do_not_lock(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    for i in range(4):
        with clock.frozen(T0 + timedelta(minutes=i)):
            assert _login(client, "WrongPass123").status_code == 401
    with clock.frozen(T0 + timedelta(minutes=16)):  # window restarted: this is failure 1 again
        assert _login(client, "WrongPass123").status_code == 401
        assert _login(client, DEFAULT_PASSWORD).status_code == 200


def test_success_resets_the_failure_count(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    with clock.frozen(T0):
        for _ in range(4):
            _login(client, "WrongPass123")
        assert _login(client, DEFAULT_PASSWORD).status_code == 200
        assert [_login(client, "WrongPass123").status_code for _ in range(4)] == [401] * 4


def test_unlock_code_lifts_the_lock(client: FlaskClient, app: Flask, outbox: RecordingSender) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    with clock.frozen(T0):
        for _ in range(5):
            _login(client, "WrongPass123")
        assert _login(client, DEFAULT_PASSWORD).status_code == 423
        assert send_code(client, PHONE, purpose="unlock").status_code == 202
        response = client.post("/api/v1/auth/unlock", json={"target": PHONE, "code": outbox.last_code(PHONE)})
        assert response.status_code == 204
        assert _login(client, DEFAULT_PASSWORD).status_code == 200


def test_login_throttle_per_ip_is_429(client: FlaskClient, app: Flask) -> None:
    tune(app, auth_rate_limit="3 per minute")
    with app.app_context():
        make_user(phone=PHONE)
    statuses = [_login(client, DEFAULT_PASSWORD).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = _login(client, DEFAULT_PASSWORD)
    assert throttled.json["code"] == "rate_limited"
    assert "Retry-After" in throttled.headers
    other_ip = client.post(
        "/api/v1/auth/login",
        json={"login": PHONE, "password": DEFAULT_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other_ip.status_code == 200


def test_login_with_code(client: FlaskClient, app: Flask, outbox: RecordingSender) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    send_code(client, PHONE, purpose="login")
    response = client.post("/api/v1/auth/login", json={"login": PHONE, "code": outbox.last_code(PHONE)})
    assert response.status_code == 200


def test_logout_revokes_the_token(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        headers = bearer(make_user(phone=PHONE))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"


def test_expired_token_is_401(client: FlaskClient, app: Flask) -> None:
    with app.app_context(), clock.frozen(T0):
        headers = bearer(make_user(phone=PHONE))
    with clock.frozen(T0 + timedelta(days=7, seconds=1)):
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_password_reset_revokes_every_token(client: FlaskClient, app: Flask, outbox: RecordingSender) -> None:
    with app.app_context():
        headers = bearer(make_user(phone=PHONE))
    send_code(client, PHONE, purpose="reset_password")
    response = client.post(
        "/api/v1/auth/password-reset",
        json={"target": PHONE, "code": outbox.last_code(PHONE), "new_password": "NewPass123"},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert _login(client, DEFAULT_PASSWORD).status_code == 401
    assert _login(client, "NewPass123").status_code == 200


def test_suspension_takes_effect_on_the_next_request(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        shopper = make_user(phone=PHONE)
        headers = bearer(shopper)
        cs_headers = bearer(make_user(Role.CS))
        shopper_id = shopper.id
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.post(f"/api/v1/admin/users/{shopper_id}/suspend", json={"reason": "刷单"}, headers=cs_headers)
    assert response.status_code == 200
    assert response.json["status"] == "suspended"
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert _login(client, DEFAULT_PASSWORD).json["code"] == "account_suspended"
    from groupbuy.audit.models import AuditEntry

    with app.app_context():
        entry = db.session.scalar(select(AuditEntry))
        assert entry.action == "user.suspended"
        assert entry.before == {"status": "active"}
        assert entry.reason == "刷单"


def test_shoppers_cannot_suspend(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        victim = make_user()
        headers = bearer(make_user())
        victim_id = victim.id
    with unchanged(app, User, AuthToken, AuditEntry):
        response = client.post(f"/api/v1/admin/users/{victim_id}/suspend", json={"reason": "x"}, headers=headers)
    assert response.status_code == 403


def test_wechat_login_new_then_returning(client: FlaskClient, app: Flask) -> None:
    first = client.post("/api/v1/auth/wechat-login", json={"code": "dev-alice"})
    assert first.status_code == 200
    assert first.json["is_new"] is True
    assert "session_key" not in first.get_data(as_text=True)
    again = client.post("/api/v1/auth/wechat-login", json={"code": "dev-alice"})
    assert again.status_code == 200
    assert again.json["is_new"] is False
    assert again.json["user"]["id"] == first.json["user"]["id"]
    with app.app_context():
        assert db.session.scalar(select(WeChatIdentity.openid)) == "dev-alice"
        assert len(db.session.scalars(select(User)).all()) == 1


def test_wechat_login_invalid_code_is_401_and_down_is_503(client: FlaskClient) -> None:
    invalid = client.post("/api/v1/auth/wechat-login", json={"code": "forged-openid"})
    assert invalid.status_code == 401
    assert invalid.json["code"] == "invalid_wechat_code"
    down = client.post("/api/v1/auth/wechat-login", json={"code": "dev-wechat-down"})
    assert down.status_code == 503
    assert down.json["code"] == "wechat_unavailable"
    assert "Retry-After" in down.headers


def test_client_sent_openid_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/wechat-login", json={"code": "dev-bob", "openid": "dev-alice"})
    assert response.status_code == 422


def test_messages_are_chinese_by_default_english_on_request(client: FlaskClient) -> None:
    zh = client.get("/api/v1/me")
    en = client.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert zh.json["title"] == "请先登录"
    assert en.json["title"] == "Authentication required"
    assert zh.json["code"] == en.json["code"] == "unauthorized"
