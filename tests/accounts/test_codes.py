"""Verification codes: 6 digits, 10 minutes, 5 tries, single use, resend ≥ 60 s, daily caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.models import VerificationCode
from groupbuy.db import db
from tests.accounts.conftest import send_code
from tests.conftest import tune
from tests.factories.accounts import make_user
from tests.fakes.senders import RecordingSender

PHONE = "13800138000"
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _register(client: FlaskClient, code: str, phone: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/register", json={"phone": phone, "password": "CooigHello290", "code": code})


def test_code_is_six_digits_stored_hashed_and_sent(client: FlaskClient, outbox: RecordingSender, app) -> None:
    response = send_code(client, PHONE)
    assert response.status_code == 202
    assert response.json == {"expires_in": 600, "resend_after": 60}
    code = outbox.last_code(PHONE)
    assert len(code) == 6
    assert code.isdigit()
    with app.app_context():
        row = db.session.scalar(select(VerificationCode))
        assert row.code_hash != code
        assert code not in row.code_hash


def test_code_expires_after_ten_minutes(client: FlaskClient, outbox: RecordingSender) -> None:
    with clock.frozen(T0):
        send_code(client, PHONE)
    with clock.frozen(T0 + timedelta(minutes=10, seconds=1)):
        response = _register(client, outbox.last_code(PHONE))
    assert response.status_code == 422
    assert response.json["code"] == "invalid_code"


def test_code_valid_just_before_expiry(client: FlaskClient, outbox: RecordingSender) -> None:
    with clock.frozen(T0):
        send_code(client, PHONE)
    with clock.frozen(T0 + timedelta(minutes=9, seconds=59)):
        assert _register(client, outbox.last_code(PHONE)).status_code == 201


def test_five_wrong_tries_burn_the_code(client: FlaskClient, outbox: RecordingSender, app) -> None:
    send_code(client, PHONE)
    right = outbox.last_code(PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        response = _register(client, wrong)
        assert response.status_code == 422
        assert response.json["code"] == "invalid_code"
    response = _register(client, right)
    assert response.status_code == 422
    assert response.json["code"] == "code_attempts_exceeded"
    with app.app_context():
        assert db.session.scalar(select(VerificationCode.attempts)) == 5


def test_code_is_single_use(client: FlaskClient, outbox: RecordingSender, app) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    send_code(client, PHONE, purpose="reset_password")
    code = outbox.last_code(PHONE)
    body = {"target": PHONE, "code": code, "new_password": "NewPass123"}
    assert client.post("/api/v1/auth/password-reset", json=body).status_code == 204
    response = client.post("/api/v1/auth/password-reset", json=body)
    assert response.status_code == 422
    assert response.json["code"] == "invalid_code"


def test_code_is_bound_to_purpose_and_target(client: FlaskClient, outbox: RecordingSender) -> None:
    send_code(client, PHONE)
    code = outbox.last_code(PHONE)
    assert _register(client, code, phone="13800138001").status_code == 422


def test_resend_within_a_minute_is_429(client: FlaskClient, outbox: RecordingSender) -> None:
    with clock.frozen(T0):
        assert send_code(client, PHONE).status_code == 202
    with clock.frozen(T0 + timedelta(seconds=59)):
        response = send_code(client, PHONE)
    assert response.status_code == 429
    assert response.json["code"] == "code_resend_too_soon"
    assert int(response.headers["Retry-After"]) >= 1
    with clock.frozen(T0 + timedelta(seconds=61)):
        assert send_code(client, PHONE).status_code == 202
    assert len(outbox.sent) == 2


def test_latest_code_replaces_the_previous_one(client: FlaskClient, outbox: RecordingSender) -> None:
    with clock.frozen(T0):
        send_code(client, PHONE)
        first = outbox.last_code(PHONE)
    with clock.frozen(T0 + timedelta(minutes=2)):
        send_code(client, PHONE)
        second = outbox.last_code(PHONE)
        if first != second:
            assert _register(client, first).status_code == 422
        assert _register(client, second).status_code == 201


def test_daily_cap_per_target(client: FlaskClient, outbox: RecordingSender, app) -> None:
    tune(app, code_daily_cap_per_target=3)
    for i in range(3):
        with clock.frozen(T0 + timedelta(minutes=2 * i)):
            assert send_code(client, PHONE).status_code == 202
    with clock.frozen(T0 + timedelta(minutes=10)):
        response = send_code(client, PHONE)
    assert response.status_code == 429
    assert response.json["code"] == "code_daily_cap"
    with clock.frozen(T0 + timedelta(days=1, minutes=1)):
        assert send_code(client, PHONE).status_code == 202


def test_daily_cap_per_ip(client: FlaskClient, outbox: RecordingSender, app) -> None:
    tune(app, code_daily_cap_per_ip=2)
    with clock.frozen(T0):
        assert send_code(client, "13800138001").status_code == 202
        assert send_code(client, "13800138002").status_code == 202
        response = send_code(client, "13800138003")
    assert response.status_code == 429
    assert response.json["code"] == "code_daily_cap"


def test_codes_for_unknown_accounts_are_not_sent(client: FlaskClient, outbox: RecordingSender) -> None:
    response = send_code(client, PHONE, purpose="reset_password")
    assert response.status_code == 202  # same answer: no account enumeration
    assert outbox.sent == []


def test_bad_target_for_channel_is_422(client: FlaskClient, outbox: RecordingSender) -> None:
    response = send_code(client, "not-a-phone", channel="sms")
    assert response.status_code == 422
    assert "target" in response.json["errors"]
    response = send_code(client, "13800138000", channel="email")
    assert response.status_code == 422


def test_email_codes_work_too(client: FlaskClient, outbox: RecordingSender) -> None:
    assert send_code(client, "Li.Lei@Example.com").status_code == 202
    code = outbox.last_code("li.lei@example.com")
    response = client.post(
        "/api/v1/auth/register", json={"email": "li.lei@example.com", "password": "CooigHello290", "code": code}
    )
    assert response.status_code == 201
    assert response.json["user"]["email"] == "l***@example.com"
