"""In-app notifications: queued by order transitions once, listed, read, and private to their owner."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.notifications.enums import Transport
from groupbuy.notifications.models import Notification, OutboxMessage
from groupbuy.notifications.service import Notice, notify
from groupbuy.orders.enums import OrderEvent
from groupbuy.orders.service import cancel_order, transition
from tests.conftest import tune
from tests.factories.market import T0, Shop
from tests.factories.notifications import add_openid
from tests.jobs.conftest import count, pay, place


def _kinds(app: Flask, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
            )
        )


def test_order_transitions_notify_the_shopper_once_each(shop: Shop, app: Flask) -> None:
    deal = shop.deal(price_fen=1250)
    buyer = shop.shopper()
    order_id = place(app, buyer, deal, 2)
    assert _kinds(app, buyer.id) == []  # placing tells nobody
    pay(app, order_id)
    with app.app_context():
        for event in (OrderEvent.CONFIRM, OrderEvent.STOCK, OrderEvent.SHIP, OrderEvent.ARRIVE):
            transition(order_id=order_id, event=event, actor="leader:1", now=T0)
        paid = db.session.scalars(select(Notification).where(Notification.kind == "order_paid")).one()
        arrived = db.session.scalars(select(Notification).where(Notification.kind == "goods_arrived")).one()
        code = arrived.payload["pickup_code"]
    assert _kinds(app, buyer.id) == ["order_paid", "goods_arrived"]
    assert paid.title == "支付成功" and "¥25.00" in paid.body and paid.payload["order_id"] == order_id
    assert len(code) == 8 and code in arrived.body
    with app.app_context():  # a replayed event (same dedupe key) is not told twice
        notify(
            notices=[Notice(user_id=buyer.id, kind="order_paid", dedupe_key=paid.dedupe_key, fields=paid.payload)],
            now=T0,
        )
    assert _kinds(app, buyer.id) == ["order_paid", "goods_arrived"]


def test_cancelling_a_paid_order_says_the_money_comes_back(shop: Shop, app: Flask) -> None:
    deal = shop.deal(price_fen=990)
    buyer = shop.shopper()
    order_id = place(app, buyer, deal)
    pay(app, order_id)
    with app.app_context():
        cancel_order(user_id=buyer.id, order_id=order_id, now=T0 + timedelta(minutes=2))
        body = db.session.scalars(select(Notification.body).where(Notification.kind == "order_cancelled")).one()
    assert "¥9.90 将原路退回" in body


def test_wechat_users_get_a_mini_app_copy_and_leaders_an_sms(shop: Shop, app: Flask) -> None:
    buyer = shop.shopper()
    with app.app_context():
        openid = add_openid(buyer.id, T0)
    order_id = place(app, buyer, shop.deal())
    pay(app, order_id)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.transport, message.target, message.template) == (Transport.MINIAPP, openid, "order_paid")
    assert message.payload["title"] == "支付成功" and message.notification_id is not None
    tune(app, miniapp_channel="off")
    pay(app, place(app, buyer, shop.deal()))
    assert count(app, select(OutboxMessage)) == 1


def _seed(app: Flask, user_id: int, n: int) -> None:
    with app.app_context():
        notify(
            notices=[
                Notice(user_id=user_id, kind="refund_done", dedupe_key=f"t:{user_id}:{i}", fields=_refund(i))
                for i in range(n)
            ],
            now=T0,
        )


def _refund(i: int) -> dict[str, object]:
    return {"order_id": i, "order_no": f"GB{i:04d}", "amount": "¥1.00"}


def test_list_pages_newest_first_with_unread_count_and_read(shop: Shop, app: Flask, client: FlaskClient) -> None:
    me, other = shop.shopper(), shop.shopper()
    _seed(app, me.id, 5)
    _seed(app, other.id, 1)
    headers = shop.auth(me)
    page = client.get("/api/v1/me/notifications?page=1&page_size=2", headers=headers).json
    assert (page["total"], page["unread_count"], page["page_size"]) == (5, 5, 2)
    assert [item["payload"]["order_no"] for item in page["items"]] == ["GB0004", "GB0003"]
    assert page["items"][0]["title"] == "退款成功" and page["items"][0]["read_at"] is None

    first = page["items"][0]["id"]
    with clock.frozen(T0 + timedelta(minutes=1)):
        read = client.post(f"/api/v1/me/notifications/{first}/read", headers=headers)
    assert read.status_code == 200 and read.json["read_at"].startswith("2026-11-22T02:01")
    with clock.frozen(T0 + timedelta(minutes=9)):
        again = client.post(f"/api/v1/me/notifications/{first}/read", headers=headers)
    assert again.json["read_at"] == read.json["read_at"]
    unread = client.get("/api/v1/me/notifications?unread=true", headers=headers).json
    assert (unread["total"], unread["unread_count"]) == (4, 4)
    assert first not in [item["id"] for item in unread["items"]]

    everything = client.post("/api/v1/me/notifications/read-all", headers=headers)
    assert everything.status_code == 200 and everything.json == {"updated": 4}
    assert client.get("/api/v1/me/notifications", headers=headers).json["unread_count"] == 0
    assert client.get("/api/v1/me/notifications", headers=shop.auth(other)).json["unread_count"] == 1


def test_someone_elses_notification_is_404(shop: Shop, app: Flask, client: FlaskClient) -> None:
    owner, stranger = shop.shopper(), shop.shopper()
    _seed(app, owner.id, 1)
    with app.app_context():
        notification_id = db.session.scalars(select(Notification.id)).one()
    response = client.post(f"/api/v1/me/notifications/{notification_id}/read", headers=shop.auth(stranger))
    assert response.status_code == 404
    assert client.post("/api/v1/me/notifications/999999/read", headers=shop.auth(owner)).status_code == 404
    assert client.get("/api/v1/me/notifications", headers=shop.auth(stranger)).json["total"] == 0
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert client.get("/api/v1/me/notifications?page_size=101", headers=shop.auth(owner)).status_code == 422


def test_a_leader_hears_of_a_new_after_sale_request_once(shop: Shop, app: Flask) -> None:
    from groupbuy.notifications.service import notify_leader_aftersale_requested
    from tests.jobs.conftest import leader_user_id

    leader = leader_user_id(app, shop)
    with app.app_context():
        for _ in range(2):
            notify_leader_aftersale_requested(
                leader_user_id=leader, request_id=7, order_no="GB2026112200001", reason="苹果有磕碰", now=T0
            )
        notice = db.session.scalars(select(Notification).where(Notification.user_id == leader)).one()
    assert notice.kind == "leader_aftersale_requested"
    assert "GB2026112200001" in notice.body and "苹果有磕碰" in notice.body
