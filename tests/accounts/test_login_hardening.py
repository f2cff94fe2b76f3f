"""Login under attack: the lockout is a hard limit under concurrency; a wrong password reveals no account state."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.models import User
from groupbuy.accounts.service import sessions
from groupbuy.db import db
from tests.accounts.conftest import send_code
from tests.conftest import DEFAULT_PASSWORD
from tests.factories.accounts import make_user
from tests.fakes.senders import RecordingSender

PHONE = "13800138000"
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _login(client: FlaskClient, password: str, login: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


def test_a_wrong_password_on_a_suspended_account_is_the_same_401(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        make_user(phone=PHONE, suspended=True)
    with clock.frozen(T0):
        wrong = _login(client, "WrongPass123")
        unknown = _login(client, "WrongPass123", login="13800138999")
        right = _login(client, DEFAULT_PASSWORD)
    assert (wrong.status_code, wrong.json["code"]) == (401, "invalid_credentials")
    assert (wrong.status_code, wrong.json) == (unknown.status_code, unknown.json)
    assert (right.status_code, right.json["code"]) == (403, "account_suspended")  # only the password holder learns it


def test_a_wrong_login_code_on_a_suspended_account_reveals_nothing(
    client: FlaskClient, app: Flask, outbox: RecordingSender
) -> None:
    with app.app_context():
        make_user(phone=PHONE, suspended=True)
        make_user(phone="13800138001")
    with clock.frozen(T0):
        for phone in (PHONE, "13800138001"):
            assert send_code(client, phone, purpose="login").status_code == 202
        wrong_code = next(
            c
            for c in ("000000", "111111", "222222")
            if c not in {outbox.last_code(PHONE), outbox.last_code("13800138001")}
        )
        wrong = client.post("/api/v1/auth/login", json={"login": PHONE, "code": wrong_code})
        active = client.post("/api/v1/auth/login", json={"login": "13800138001", "code": wrong_code})
        right = client.post("/api/v1/auth/login", json={"login": PHONE, "code": outbox.last_code(PHONE)})
    assert (wrong.status_code, wrong.json) == (active.status_code, active.json)
    assert wrong.json["code"] != "account_suspended"
    assert (right.status_code, right.json["code"]) == (403, "account_suspended")


def test_the_lock_keeps_the_failure_count(client: FlaskClient, app: Flask) -> None:
    """Setting the lock does not reset the counter: a failure racing the lock cannot start a fresh count."""
    with app.app_context():
        user_id = make_user(phone=PHONE).id
    with clock.frozen(T0):
        assert [_login(client, "WrongPass123").status_code for _ in range(6)] == [401] * 4 + [423, 423]
    with app.app_context():
        user = db.session.get_one(User, user_id)
        assert user.login_failures == 5
        assert user.locked_until == T0 + timedelta(minutes=15)


def test_a_locked_account_checks_no_password(client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    checked = _count_password_checks(monkeypatch)
    with clock.frozen(T0):
        for _ in range(5):
            _login(client, "WrongPass123")
        assert _login(client, DEFAULT_PASSWORD).status_code == 423
    assert checked["real"] == 5


def _count_password_checks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count verify_password calls against a real hash (the unknown-account dummy check aside)."""
    checked: Counter[str] = Counter()
    lock = threading.Lock()
    real = sessions.verify_password

    def counting(stored: str | None, password: str, **kwargs: Any) -> bool:
        with lock:
            checked["real" if stored else "dummy"] += 1
        return real(stored, password, **kwargs)

    monkeypatch.setattr(sessions, "verify_password", counting)
    return checked


@pytest.mark.pg
def test_thirty_parallel_wrong_passwords_evaluate_at_most_five(
    app: Flask, busy_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        user_id = make_user(phone=PHONE).id
    checked = _count_password_checks(monkeypatch)
    barrier = threading.Barrier(30)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        client = busy_app.test_client()
        barrier.wait()
        status = _login(client, "WrongPass123").status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    with clock.frozen(T0):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _login(busy_app.test_client(), DEFAULT_PASSWORD).status_code == 423

    assert checked["real"] == 5
    assert Counter(statuses) == {401: 4, 423: 26}
    with app.app_context():
        user = db.session.get_one(User, user_id)
        assert user.login_failures == 5
        assert user.locked_until == T0 + timedelta(minutes=15)
