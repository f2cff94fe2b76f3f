"""The leader's desk: own orders only, confirm (one or many) and stock through the state machine, and a
confirmed order the shopper can no longer cancel. Every check reads the database, not only the status code."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.notifications.enums import NotificationKind
from groupbuy.notifications.models import Notification
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderRefund, OrderTimelineEvent
from tests.factories.desk import PICKUP, Desk
from tests.factories.market import T0, Shop
from tests.jobs.conftest import place

AFTER_CUTOFF = T0 + timedelta(hours=11)


def _status(app: Flask, order_id: int) -> OrderStatus:
    with app.app_context():
        return OrderStatus(db.session.get_one(Order, order_id).status)


def _events(app: Flask, order_id: int) -> list[tuple[OrderEvent, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(OrderTimelineEvent.event, OrderTimelineEvent.actor)
            .where(OrderTimelineEvent.order_id == order_id)
            .order_by(OrderTimelineEvent.id)
        )
        return [(OrderEvent(event), actor) for event, actor in rows]


def test_a_leader_lists_only_their_own_orders_by_status_and_date(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal()
    mine_paid = desk.paid_order(shop.shopper(), deal, 2)
    with clock.frozen(T0):
        mine_unpaid = client.post(
            "/api/v1/orders",
            json={"items": [{"deal_id": deal, "quantity": 1}], "fulfilment": "pickup"},
            headers=shop.key(shop.shopper()),
        ).json["id"]
    other = desk.other_leader()
    desk.paid_order(other.shopper, deal)
    with clock.frozen(T0 + timedelta(minutes=5)):
        everything = client.get("/api/v1/leader/orders", headers=desk.headers).json
        paid = client.get("/api/v1/leader/orders?status=paid", headers=desk.headers).json
        that_day = client.get(f"/api/v1/leader/orders?pickup_date={PICKUP.isoformat()}", headers=desk.headers).json
        other_day = client.get("/api/v1/leader/orders?pickup_date=2026-11-30", headers=desk.headers).json
        theirs = client.get("/api/v1/leader/orders", headers=other.headers).json
        shopper = client.get("/api/v1/leader/orders", headers=shop.auth(shop.shopper()))
    assert {o["id"] for o in everything["items"]} == {mine_paid, mine_unpaid} and everything["total"] == 2
    assert [o["id"] for o in paid["items"]] == [mine_paid]
    assert that_day["total"] == 2 and other_day["total"] == 0
    assert {o["id"] for o in theirs["items"]}.isdisjoint({mine_paid, mine_unpaid}) and theirs["total"] == 1
    assert shopper.status_code == 403
    first = everything["items"][-1]
    assert first["shopper_name"].startswith("u") and "*" in first["shopper_name"]
    assert first["lines"][0]["quantity"] == 2


def test_confirm_moves_a_paid_order_of_a_succeeded_group_and_tells_the_shopper(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    buyer = shop.shopper()
    order_id = desk.paid_order(buyer, shop.deal())
    desk.close_groups()
    with clock.frozen(AFTER_CUTOFF):
        confirmed = client.post(f"/api/v1/leader/orders/{order_id}/confirm", headers=desk.headers)
        again = client.post(f"/api/v1/leader/orders/{order_id}/confirm", headers=desk.headers)
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["status"] == "confirmed"
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"
    assert _status(app, order_id) is OrderStatus.CONFIRMED
    assert _events(app, order_id)[-1] == (OrderEvent.CONFIRM, f"leader:{desk.leader_user_id}")
    assert [e for e, _ in _events(app, order_id)].count(OrderEvent.CONFIRM) == 1
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == buyer.id)).all()
    assert kinds.count(NotificationKind.ORDER_CONFIRMED) == 1


def test_confirm_is_409_for_unpaid_orders_open_and_failed_groups(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    easy, hard = shop.deal(), shop.deal(min_group_quantity=5)
    unpaid = place(app, shop.shopper(), easy)
    in_failed_group = desk.paid_order(shop.shopper(), hard)
    with clock.frozen(T0 + timedelta(minutes=5)):  # before the cutoff: the group is still open
        not_paid = client.post(f"/api/v1/leader/orders/{unpaid}/confirm", headers=desk.headers)
        still_open = client.post(f"/api/v1/leader/orders/{in_failed_group}/confirm", headers=desk.headers)
    assert _status(app, unpaid) is OrderStatus.PENDING_PAYMENT
    assert _status(app, in_failed_group) is OrderStatus.PAID
    desk.close_groups()
    with clock.frozen(AFTER_CUTOFF):
        failed = client.post(f"/api/v1/leader/orders/{in_failed_group}/confirm", headers=desk.headers)
    assert not_paid.status_code == 409 and not_paid.json["code"] == "order_not_paid"
    assert still_open.status_code == 409 and still_open.json["code"] == "group_not_succeeded"
    assert failed.status_code == 409 and failed.json["code"] == "group_not_succeeded"
    assert _status(app, in_failed_group) is OrderStatus.REFUNDING  # the closing job refunded it; nothing else
    for order_id in (unpaid, in_failed_group):
        assert OrderEvent.CONFIRM not in [e for e, _ in _events(app, order_id)]


def test_leader_a_cannot_list_confirm_or_stock_leader_b_orders(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    other = desk.other_leader()
    theirs = desk.paid_order(other.shopper, shop.deal())
    desk.close_groups()
    with clock.frozen(AFTER_CUTOFF):
        listed = client.get("/api/v1/leader/orders", headers=desk.headers).json
        confirm = client.post(f"/api/v1/leader/orders/{theirs}/confirm", headers=desk.headers)
        batch = client.post("/api/v1/leader/orders/confirm", json={"order_ids": [theirs]}, headers=desk.headers)
        stock = client.post(f"/api/v1/leader/orders/{theirs}/stock", headers=desk.headers)
        missing = client.post("/api/v1/leader/orders/999999/confirm", headers=desk.headers)
    assert listed["total"] == 0
    assert confirm.status_code == 404 and stock.status_code == 404
    assert confirm.json["code"] == missing.json["code"] == "not_found"
    assert batch.status_code == 200
    assert batch.json["results"] == [
        {"order_id": theirs, "ok": False, "status": None, "code": "not_found", "title": "未找到"}
    ]
    assert _status(app, theirs) is OrderStatus.PAID
    assert _events(app, theirs)[-1][0] is OrderEvent.PAY


def test_batch_confirm_answers_per_order_then_stock(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    first, second = desk.paid_order(shop.shopper(), deal), desk.paid_order(shop.shopper(), deal, 3)
    other = desk.other_leader()
    theirs = desk.paid_order(other.shopper, deal)
    desk.close_groups()
    with clock.frozen(AFTER_CUTOFF):
        early_stock = client.post(f"/api/v1/leader/orders/{first}/stock", headers=desk.headers)
        batch = client.post(
            "/api/v1/leader/orders/confirm",
            json={"order_ids": [first, theirs, second, first]},
            headers={**desk.headers, "Accept-Language": "en"},
        )
        stocked = client.post("/api/v1/leader/orders/stock", json={"order_ids": [first, second]}, headers=desk.headers)
        one_more = client.post(f"/api/v1/leader/orders/{first}/stock", headers=desk.headers)
    assert early_stock.status_code == 409 and early_stock.json["code"] == "illegal_transition"
    assert batch.status_code == 200
    assert [(r["order_id"], r["ok"], r["status"], r["code"]) for r in batch.json["results"]] == [
        (first, True, "confirmed", None),
        (theirs, False, None, "not_found"),
        (second, True, "confirmed", None),
    ]
    assert batch.json["results"][1]["title"] == "Not found"
    assert [r["status"] for r in stocked.json["results"]] == ["stocking", "stocking"]
    assert one_more.status_code == 409
    assert (_status(app, first), _status(app, second), _status(app, theirs)) == (
        OrderStatus.STOCKING,
        OrderStatus.STOCKING,
        OrderStatus.PAID,
    )
    assert [e for e, _ in _events(app, second)][-2:] == [OrderEvent.CONFIRM, OrderEvent.STOCK]


def test_batch_size_is_bounded(desk: Desk, client: FlaskClient) -> None:
    too_many = client.post(
        "/api/v1/leader/orders/confirm", json={"order_ids": list(range(1, 202))}, headers=desk.headers
    )
    empty = client.post("/api/v1/leader/orders/stock", json={"order_ids": []}, headers=desk.headers)
    assert too_many.status_code == empty.status_code == 422


def test_a_shopper_cannot_cancel_a_confirmed_order(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    buyer = shop.shopper()
    order_id = desk.paid_order(buyer, shop.deal())
    desk.close_groups()
    with clock.frozen(AFTER_CUTOFF):
        assert client.post(f"/api/v1/leader/orders/{order_id}/confirm", headers=desk.headers).status_code == 200
        cancel = client.post(f"/api/v1/orders/{order_id}/cancel", headers=shop.auth(buyer))
    assert cancel.status_code == 409 and cancel.json["code"] == "use_after_sale"
    assert "售后" in cancel.json["title"]
    assert _status(app, order_id) is OrderStatus.CONFIRMED
    with app.app_context():
        refunds = db.session.scalar(
            select(func.count()).select_from(OrderRefund).where(OrderRefund.order_id == order_id)
        )
    assert refunds == 0


@pytest.mark.pg
def test_concurrent_batches_confirm_each_order_once(shop: Shop, desk: Desk, busy_app: Flask, app: Flask) -> None:
    deal = shop.deal()
    orders = [desk.paid_order(shop.shopper(), deal) for _ in range(10)]
    desk.close_groups()
    barrier, answers = threading.Barrier(4), []

    def confirm(ids: list[int]) -> None:
        client = busy_app.test_client()
        barrier.wait()
        answers.append(client.post("/api/v1/leader/orders/confirm", json={"order_ids": ids}, headers=desk.headers))

    batches = [orders, list(reversed(orders)), orders[:5], orders[5:]]
    threads = [threading.Thread(target=confirm, args=(ids,)) for ids in batches]
    with clock.frozen(AFTER_CUTOFF):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [a.status_code for a in answers] == [200] * 4
    ok = Counter(r["order_id"] for a in answers for r in a.json["results"] if r["ok"])
    assert ok == dict.fromkeys(orders, 1)  # every order confirmed by exactly one of the batches
    refused = {r["code"] for a in answers for r in a.json["results"] if not r["ok"]}
    assert refused <= {"illegal_transition"}
    with app.app_context():
        rows = db.session.execute(
            select(OrderTimelineEvent.order_id, func.count())
            .where(OrderTimelineEvent.event == OrderEvent.CONFIRM)
            .group_by(OrderTimelineEvent.order_id)
        ).all()
        statuses = set(db.session.scalars(select(Order.status).where(Order.id.in_(orders))))
    assert dict(rows) == dict.fromkeys(orders, 1) and statuses == {OrderStatus.CONFIRMED}
