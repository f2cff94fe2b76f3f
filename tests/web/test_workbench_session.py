"""Workbench login: the API's token in an HttpOnly SameSite=Strict cookie, CSRF on every form, logout, refusals."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import AuthToken
from groupbuy.db import db
from tests.conftest import DEFAULT_PASSWORD, tune
from tests.factories.accounts import make_user
from tests.factories.market import T0, Shop
from tests.web.conftest import csrf_of, leader_phone, log_in


def _tokens(app: Flask, *, live: bool) -> int:
    with app.app_context():
        query = select(func.count()).select_from(AuthToken)
        if live:
            query = query.where(AuthToken.revoked_at.is_(None))
        return int(db.session.scalar(query) or 0)


def test_no_session_goes_to_the_login_page(client: FlaskClient) -> None:
    answer = client.get("/workbench/figures")
    assert answer.status_code == 302 and answer.headers["Location"] == "/workbench/login?next=/workbench/figures"
    login = client.get("/workbench/login")
    assert login.status_code == 200 and "团长工作台" in login.text and 'name="csrf_token"' in login.text
    assert "nonce-" in login.headers["Content-Security-Policy"] and login.headers["Cache-Control"] == "no-store"


def test_a_leader_logs_in_into_an_httponly_strict_cookie_and_logs_out(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    with clock.frozen(T0):
        answer = log_in(client, leader_phone(app, shop))
        assert answer.status_code == 302 and answer.headers["Location"] == "/workbench/"
        cookie = client.get_cookie("gb_workbench", path="/workbench")
        assert cookie is not None and cookie.http_only and cookie.same_site == "Strict" and cookie.path == "/workbench"
        assert _tokens(app, live=True) == 1  # the API's own token table: no second account system
        today = client.get("/workbench/")
        assert today.status_code == 200 and "核销提货码" in today.text
        assert client.get("/api/v1/me").status_code == 401  # the cookie is no API credential
        assert client.post("/workbench/logout", data={}).status_code == 400  # no CSRF token: refused
        assert _tokens(app, live=True) == 1
        out = client.post("/workbench/logout", data={"csrf_token": csrf_of(today.text)})
        assert out.status_code == 302 and out.headers["Location"] == "/workbench/login"
        assert _tokens(app, live=True) == 0
        assert client.get_cookie("gb_workbench", path="/workbench") is None
        assert client.get("/workbench/").status_code == 302


def test_the_login_form_needs_its_csrf_token_and_a_forged_one_fails(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    phone = leader_phone(app, shop)
    with clock.frozen(T0):
        no_token = client.post("/workbench/login", data={"login": phone, "password": DEFAULT_PASSWORD})
        assert no_token.status_code == 400 and "页面已过期" in no_token.text
        client.get("/workbench/login")
        forged = client.post(
            "/workbench/login", data={"login": phone, "password": DEFAULT_PASSWORD, "csrf_token": "x" * 64}
        )
        assert forged.status_code == 400
        other = app.test_client()  # another browser's valid token does not fit this browser's cookie
        stolen = csrf_of(other.get("/workbench/login").text)
        assert (
            client.post(
                "/workbench/login", data={"login": phone, "password": DEFAULT_PASSWORD, "csrf_token": stolen}
            ).status_code
            == 400
        )
    assert _tokens(app, live=False) == 0


def test_a_post_with_another_sessions_csrf_token_is_refused(app: Flask, client: FlaskClient, shop: Shop) -> None:
    phone = leader_phone(app, shop)
    with clock.frozen(T0):
        log_in(client, phone)
        other = app.test_client()
        log_in(other, phone)
        foreign = csrf_of(other.get("/workbench/").text)
        refused = client.post("/workbench/pickups", data={"pickup_code": "12345678", "csrf_token": foreign})
        assert refused.status_code == 400 and "页面已过期" in refused.text


def test_wrong_password_is_said_on_the_form(app: Flask, client: FlaskClient, shop: Shop) -> None:
    with clock.frozen(T0):
        answer = log_in(client, leader_phone(app, shop), password="Wrong-password-1")
        english = log_in(client, leader_phone(app, shop), password="Wrong-password-1", **{"Accept-Language": "en"})
    assert answer.status_code == 401 and "账号或密码错误" in answer.text
    assert english.status_code == 401 and "Wrong login or password" in english.text
    assert client.get_cookie("gb_workbench", path="/workbench") is None


def test_non_leaders_are_refused_clearly_and_keep_no_session(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_user(phone="13900000123")
    with clock.frozen(T0):
        answer = log_in(client, "13900000123")
        assert answer.status_code == 403 and "工作台仅供团长使用" in answer.text
        assert client.get_cookie("gb_workbench", path="/workbench") is None
    assert _tokens(app, live=True) == 0 and _tokens(app, live=False) == 1  # issued, then revoked at once


def test_cs_lands_on_the_console_not_the_workbench(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        make_user(Role.CS, phone="13900000124")
    with clock.frozen(T0):
        answer = log_in(client, "13900000124")
        assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/")
        assert client.get_cookie("gb_workbench", path="/workbench") is None
        assert client.get_cookie("gb_console", path="/console") is not None
        assert client.get("/workbench/").status_code == 302  # no workbench session: the login page


def test_a_leader_suspended_after_login_is_refused(app: Flask, client: FlaskClient, shop: Shop) -> None:
    from sqlalchemy import update

    from groupbuy.leaders.enums import LeaderStatus
    from groupbuy.leaders.models import Leader

    with clock.frozen(T0):
        log_in(client, leader_phone(app, shop))
        with app.app_context():
            from groupbuy.db import transaction

            with transaction():
                db.session.execute(
                    update(Leader).where(Leader.id == shop.leader_id).values(status=LeaderStatus.SUSPENDED)
                )
        answer = client.get("/workbench/")
    assert answer.status_code == 403 and "无法继续" in answer.text and answer.mimetype == "text/html"


def test_the_login_form_is_throttled_per_ip_like_the_api_login(app: Flask, client: FlaskClient, shop: Shop) -> None:
    tune(app, auth_rate_limit="3 per minute")
    with clock.frozen(T0):
        answers = [log_in(client, leader_phone(app, shop), password="Wrong-password-1") for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[-1].mimetype == "text/html" and "操作太频繁" in answers[-1].text
    assert int(answers[-1].headers["Retry-After"]) > 0
