"""Retention jobs of the trigger table: expiring rows are deleted once nothing can use them, not a moment before;
the seniority credit nobody asks for is written by its sweep."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import CodeChannel, CodePurpose
from groupbuy.accounts.models import AuthToken, VerificationCode
from groupbuy.accounts.service import logout, request_verification_code
from groupbuy.accounts.service.sessions import issue_token
from groupbuy.db import db
from groupbuy.idempotency.models import IdempotencyKey
from groupbuy.leaders.models import Leader
from groupbuy.orders.models import Order
from tests.factories.accounts import make_user
from tests.factories.leaders import make_leader
from tests.factories.market import T0, Shop, order_body
from tests.jobs.conftest import count, run


def test_idempotency_keys_replay_for_48_hours_then_are_purged(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    headers = shop.key(shop.shopper(), "k-kept")
    with clock.frozen(T0):
        first = client.post("/api/v1/orders", json=order_body(deal, 1), headers=headers)
    assert first.status_code == 201
    assert run(app, "purge_idempotency_keys", T0 + timedelta(hours=47)) == {"keys_purged": 0}
    with clock.frozen(T0 + timedelta(hours=47)):
        again = client.post("/api/v1/orders", json=order_body(deal, 1), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert run(app, "purge_idempotency_keys", T0 + timedelta(hours=49)) == {"keys_purged": 1}
    assert count(app, select(IdempotencyKey)) == 0
    assert count(app, select(Order)) == 1  # the order itself is not touched


def test_spent_tokens_are_purged_a_month_after_their_end_live_ones_never(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        user = make_user()
        live = issue_token(user, T0 + timedelta(days=40)).token  # valid until T0 + 47 days
        revoked_long_ago = issue_token(user, T0).token
        logout(token=revoked_long_ago, now=T0 + timedelta(hours=1))
        issue_token(user, T0)  # expired at T0 + 7 days (TOKEN_TTL_HOURS = 168)
        revoked_lately = issue_token(user, T0 + timedelta(days=40)).token
        logout(token=revoked_lately, now=T0 + timedelta(days=40))
    now = T0 + timedelta(days=42)
    assert run(app, "purge_spent_credentials", now) == {"tokens_purged": 2, "codes_purged": 0}
    assert count(app, select(AuthToken)) == 2
    with clock.frozen(now):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {live}"}).status_code == 200
    assert run(app, "purge_spent_credentials", now) == {"tokens_purged": 0, "codes_purged": 0}


def test_codes_are_purged_once_past_the_daily_caps_window(app: Flask) -> None:
    with app.app_context():
        request_verification_code(
            channel=CodeChannel.SMS, target="13800000001", purpose=CodePurpose.REGISTER, ip="10.0.0.1", now=T0
        )
    assert run(app, "purge_spent_credentials", T0 + timedelta(hours=23))["codes_purged"] == 0  # still counted
    assert count(app, select(VerificationCode)) == 1
    assert run(app, "purge_spent_credentials", T0 + timedelta(hours=25))["codes_purged"] == 1
    assert count(app, select(VerificationCode)) == 0


def test_the_credit_sweep_adds_a_seniority_year_once(app: Flask) -> None:
    with app.app_context():
        leader_id = make_leader(active_since=T0 - timedelta(days=2 * 366)).id
    assert run(app, "refresh_leader_credit", T0) == {"credit_events": 1}
    assert run(app, "refresh_leader_credit", T0) == {"credit_events": 0}
    with app.app_context():
        assert db.session.get_one(Leader, leader_id).credit_score == 20
