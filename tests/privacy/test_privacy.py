"""A shopper takes a copy of their data (GET /me/export) and closes their account (DELETE /me, 注销)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import CodeChannel, CodePurpose, Role, UserStatus
from groupbuy.accounts.models import AuthToken, User, VerificationCode, WeChatIdentity
from groupbuy.audit.models import AuditEntry
from groupbuy.audit.service import record_action
from groupbuy.db import db, transaction
from groupbuy.leaders.enums import ApplicationStatus, LeaderStatus
from groupbuy.leaders.models import Leader, LeaderApplication
from groupbuy.notifications.service.inbox import Notice, notify
from groupbuy.orders.models import Order
from groupbuy.payments.models import Payment
from groupbuy.privacy.schemas import DataExportSchema
from tests.accounts.conftest import register
from tests.factories.accounts import bearer, make_user
from tests.factories.leaders import application_payload, make_leader
from tests.factories.market import T0, Shop, order_body
from tests.factories.orders import OrderFactory
from tests.fakes.senders import RecordingSender, install_recording_senders

PHONE = "13700001111"
EMAIL = "deer.lin@example.com"
NICKNAME = "林小鹿Deer"
OPENID = "dev-lin-deer-openid"
RECIPIENT = "欧阳娜娜"
RECIPIENT_PHONE = "13600002222"
APPLICANT_NAME = "林鹿鸣"
APPLICANT_PHONE = "13500003333"


@dataclass
class Life:
    user_id: int
    headers: dict[str, str]
    other_headers: dict[str, str]
    order_id: int
    payment_id: int


@pytest.fixture
def outbox(app: Flask) -> RecordingSender:
    return install_recording_senders(app)


def live_a_life(shop: Shop, client: FlaskClient, app: Flask) -> Life:
    """A shopper with an address, a delivered-to-home order (paid link, then cancelled), a notice with an SMS
    copy, a WeChat identity, a pending leader application, codes sent, and an audit entry about them."""
    shop.offer_delivery(fee_fen=300)
    with app.app_context(), clock.frozen(T0):
        user = make_user(phone=PHONE, email=EMAIL, nickname=NICKNAME, current_leader_id=shop.leader_id)
        user_id = user.id
        headers, other_headers = bearer(user), bearer(user)
        with transaction():
            db.session.add(WeChatIdentity(user_id=user_id, openid=OPENID, session_key="sk-deer", updated_at=T0))
            for target in (PHONE, EMAIL):
                db.session.add(
                    VerificationCode(
                        channel=CodeChannel.EMAIL if "@" in target else CodeChannel.SMS,
                        target=target,
                        purpose=CodePurpose.LOGIN,
                        code_hash="0" * 64,
                        ip="127.0.0.1",
                        attempts=0,
                        created_at=T0,
                        expires_at=T0 + timedelta(minutes=10),
                    )
                )
        staff = make_user(Role.CS)
        record_action(
            actor_id=staff.id,
            action="user.note",
            object_type="user",
            object_id=user_id,
            reason=f"客户 {NICKNAME} ({EMAIL}) 来电",
            now=T0,
        )
    deal = shop.deal(price_fen=1990)
    with clock.frozen(T0):
        address = client.post(
            "/api/v1/me/addresses",
            json={
                "recipient": RECIPIENT,
                "phone": RECIPIENT_PHONE,
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文三路 8 号鹿鸣苑",
            },
            headers=headers,
        )
        assert address.status_code == 201, address.json
        body = {**order_body(deal, 2), "fulfilment": "delivery", "address_id": address.json["id"]}
        order = client.post("/api/v1/orders", json=body, headers={**headers, "Idempotency-Key": "life-1"})
        assert order.status_code == 201, order.json
        payment = client.post(
            f"/api/v1/orders/{order.json['id']}/payments", json={"channel": "sandbox"}, headers=headers
        )
        assert payment.status_code == 201, payment.json
        assert client.post(f"/api/v1/orders/{order.json['id']}/cancel", headers=headers).status_code == 200
        cart = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 1}, headers=headers)
        assert cart.status_code == 201, cart.json
        applied = client.post(
            "/api/v1/leader-applications",
            json=application_payload(real_name=APPLICANT_NAME, phone=APPLICANT_PHONE),
            headers=headers,
        )
        assert applied.status_code == 201, applied.json
    with app.app_context():
        notice = Notice(
            user_id=user_id,
            kind="leader_stock_list",
            dedupe_key=f"test-stock-{user_id}",
            fields={"summary": "「鹿鸣苑草莓」3 件（提货日 2026-11-23）", "units": 3, "pickup_date": "2026-11-23"},
        )
        assert notify(notices=[notice], now=T0) == 1
    return Life(user_id, headers, other_headers, order.json["id"], payment.json["payment_id"])


def test_the_export_holds_everything_about_me(shop: Shop, client: FlaskClient, app: Flask) -> None:
    life = live_a_life(shop, client, app)
    with clock.frozen(T0 + timedelta(hours=1)):
        answer = client.get("/api/v1/me/export", headers=life.headers)

    assert answer.status_code == 200, answer.json
    data = answer.json
    assert set(data) == set(DataExportSchema().fields)
    [order] = data["orders"]
    assert data["format"] == "groupbuy-export/1"
    assert data["profile"]["id"] == life.user_id and data["profile"]["nickname"] == NICKNAME
    assert data["profile"]["phone"] == "137****1111" and data["profile"]["email"] == EMAIL
    assert data["wechat_linked"] is True and len(data["sessions"]) == 2
    assert [(c["deal_id"], c["quantity"]) for c in data["cart"]] == [(order["lines"][0]["deal_id"], 1)]
    assert [a["recipient"] for a in data["addresses"]] == [RECIPIENT]
    assert data["addresses"][0]["phone"] == "136****2222"
    assert order["id"] == life.order_id and order["status"] == "cancelled"
    assert order["address"]["recipient"] == RECIPIENT and len(order["lines"]) == 1
    assert [e["to_status"] for e in order["timeline"]] == ["pending_payment", "cancelled"]
    assert [p["id"] for p in data["payments"]] == [life.payment_id] and data["payments"][0]["provider"] == "sandbox"
    assert data["refunds"] == []
    assert [n["kind"] for n in data["notifications"]] == ["order_cancelled", "leader_stock_list"]
    [application] = data["leader_applications"]
    assert application["real_name"] == APPLICANT_NAME and application["status"] == "pending"
    assert data["leader"] is None and data["credit_events"] == []
    actions = {e["action"] for e in data["audit_entries"]}
    assert "user.note" in actions and any(a.startswith("leader_application") for a in actions)
    assert "token_hash" not in answer.get_data(as_text=True) and "session_key" not in answer.get_data(as_text=True)


def test_the_export_of_a_leader_holds_the_pickup_point(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        leader = make_leader()
        headers = bearer(db.session.get_one(User, leader.user_id))
    response = client.get("/api/v1/me/export", headers=headers)
    assert response.status_code == 200, response.json
    data = response.json
    assert data["leader"] is not None, data
    assert data["leader"]["id"] == leader.id and data["leader"]["status"] == "active"
    assert data["orders"] == [] and data["addresses"] == []


def test_export_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/api/v1/me/export").status_code == 401
    assert client.delete("/api/v1/me").status_code == 401


def _text_of(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def personal_hits(app: Flask, needles: list[str]) -> list[str]:
    """Every (table.column, needle) where a needle survives in any text, JSON or binary value of any table."""
    hits = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str | bytes | dict | list):
                        text = _text_of(value)
                        hits += [f"{table.name}.{column}: {n}" for n in needles if n in text]
    return hits


def test_closing_erases_everything_personal_and_keeps_the_accounts(shop: Shop, client: FlaskClient, app: Flask) -> None:
    life = live_a_life(shop, client, app)
    needles = [PHONE, EMAIL, NICKNAME, OPENID, RECIPIENT, RECIPIENT_PHONE, APPLICANT_NAME, APPLICANT_PHONE]
    assert len({n for h in personal_hits(app, needles) for n in needles if h.endswith(n)}) == len(needles)

    with clock.frozen(T0 + timedelta(hours=1)):
        answer = client.delete("/api/v1/me", headers=life.headers)

    assert answer.status_code == 204
    assert personal_hits(app, needles) == []
    with app.app_context():
        user = db.session.get_one(User, life.user_id)
        assert user.status is UserStatus.CLOSED and user.closed_at == T0 + timedelta(hours=1)
        assert user.phone is None and user.email is None and user.password_hash is None
        order = db.session.get_one(Order, life.order_id)
        assert order.address is None and order.payable_fen == 2 * 1990 + 300 and len(order.lines) == 1
        assert db.session.get_one(Payment, life.payment_id).amount_fen == order.payable_fen
        application = db.session.scalars(select(LeaderApplication)).one()
        assert application.status is ApplicationStatus.REJECTED
        tokens = list(db.session.scalars(select(AuthToken).where(AuthToken.user_id == life.user_id)))
        assert len(tokens) == 2 and all(t.revoked_at is not None for t in tokens)
        closed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.closed")).one()
        assert (closed.actor_id, closed.object_id, closed.after) == (life.user_id, life.user_id, {"status": "closed"})
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.note")).one().reason is not None


def test_after_closing_every_token_is_dead_and_the_phone_and_openid_start_afresh(
    shop: Shop, client: FlaskClient, app: Flask, outbox: RecordingSender
) -> None:
    life = live_a_life(shop, client, app)
    with clock.frozen(T0 + timedelta(hours=1)):
        _close_and_start_afresh(client, outbox, life)


def _close_and_start_afresh(client: FlaskClient, outbox: RecordingSender, life: Life) -> None:
    assert client.delete("/api/v1/me", headers=life.headers).status_code == 204

    for headers in (life.headers, life.other_headers):
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert client.get("/api/v1/me/export", headers=headers).status_code == 401
    login = client.post("/api/v1/auth/login", json={"login": PHONE, "password": "CooigHello290"})
    assert login.status_code == 401

    again = register(client, outbox, phone=PHONE)
    assert again.status_code == 201, again.json
    assert again.json["user"]["id"] != life.user_id and again.json["is_new"] is True
    wechat = client.post("/api/v1/auth/wechat-login", json={"code": OPENID})
    assert wechat.status_code == 200 and wechat.json["is_new"] is True
    assert wechat.json["user"]["id"] not in (life.user_id, again.json["user"]["id"])
    fresh = client.get("/api/v1/me/export", headers={"Authorization": f"Bearer {again.json['token']}"}).json
    assert fresh["orders"] == [] and fresh["addresses"] == [] and fresh["notifications"] == []


def test_an_open_order_blocks_closing(shop: Shop, client: FlaskClient, app: Flask) -> None:
    buyer = shop.shopper()
    headers = shop.auth(buyer)
    with app.app_context():
        OrderFactory(paid=True, user_id=buyer.id, leader_id=shop.leader_id)

    answer = client.delete("/api/v1/me", headers={**headers, "Accept-Language": "en"})

    assert answer.status_code == 409 and answer.json["code"] == "account_has_open_orders"
    assert answer.json["title"].startswith("You still have open orders")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get_one(User, buyer.id).status is UserStatus.ACTIVE


def test_refunded_and_cancelled_orders_do_not_block_closing(shop: Shop, client: FlaskClient, app: Flask) -> None:
    buyer = shop.shopper()
    with app.app_context():
        OrderFactory(refunded=True, user_id=buyer.id, leader_id=shop.leader_id)
        OrderFactory(in_failed_group=True, user_id=buyer.id, leader_id=shop.leader_id)  # cancelled unpaid

    assert client.delete("/api/v1/me", headers=shop.auth(buyer)).status_code == 204
    with app.app_context():
        assert db.session.get_one(User, buyer.id).status is UserStatus.CLOSED


def test_an_active_leader_must_hand_over_first(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        leader = make_leader()
        headers = bearer(db.session.get_one(User, leader.user_id))

    answer = client.delete("/api/v1/me", headers=headers)

    assert answer.status_code == 409 and answer.json["code"] == "leader_must_hand_over"
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_suspended_leader_with_open_orders_at_the_point_must_hand_over(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    with app.app_context():
        OrderFactory(paid=True, leader_id=shop.leader_id)
    with app.app_context(), transaction():
        leader = db.session.get_one(Leader, shop.leader_id)
        leader.status = LeaderStatus.SUSPENDED
        headers = bearer(db.session.get_one(User, leader.user_id))

    assert client.delete("/api/v1/me", headers=headers).json["code"] == "leader_must_hand_over"


def test_a_former_leader_without_open_orders_closes_and_the_profile_is_blanked(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        leader = make_leader(status=LeaderStatus.SUSPENDED, real_name="赵团长", phone="13400004444")
        headers = bearer(db.session.get_one(User, leader.user_id))

    assert client.delete("/api/v1/me", headers=headers).status_code == 204

    assert personal_hits(app, ["赵团长", "13400004444"]) == []
    with app.app_context():
        assert db.session.get_one(Leader, leader.id).display_name == "已注销团长"


def test_closing_twice_is_refused_as_unauthenticated(shop: Shop, client: FlaskClient) -> None:
    headers = shop.auth(shop.shopper())
    assert client.delete("/api/v1/me", headers=headers).status_code == 204
    assert client.delete("/api/v1/me", headers=headers).status_code == 401
