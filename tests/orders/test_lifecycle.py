"""Cancel, expire, pay, confirm receipt; every illegal transition is 409 and changes nothing."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from groupbuy import clock
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict
from groupbuy.groups.models import Group
from groupbuy.orders.enums import OrderEvent, OrderStatus, PaymentOutcome
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.orders.service import PaymentAnswer, apply_payment, expire_order, mark_order_paid, transition
from groupbuy.orders.service import numbers as order_numbers
from groupbuy.orders.states import TRANSITIONS
from tests.factories.market import T0, Shop, order_body
from tests.rows import ORDER_STATE, unchanged


def _place(shop: Shop, client: FlaskClient, deal: int, quantity: int = 1, buyer=None) -> tuple[int, dict]:  # type: ignore[no-untyped-def, type-arg]
    buyer = buyer or shop.shopper()
    with clock.frozen(T0):
        response = client.post("/api/v1/orders", json=order_body(deal, quantity), headers=shop.key(buyer))
    assert response.status_code == 201, response.json
    return response.json["id"], shop.auth(buyer)


def _pay(app: Flask, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        return mark_order_paid(order_id=order_id, amount_fen=order.payable_fen, actor="test", now=T0)


def _state(app: Flask, order_id: int, deal: int) -> tuple:  # type: ignore[type-arg]
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        group = db.session.scalar(select(Group))
        events = db.session.scalar(select(func.count()).where(OrderTimelineEvent.order_id == order_id))
        bought = db.session.scalar(select(func.coalesce(func.sum(UserDealPurchase.quantity), 0)))
        return (
            order.status,
            db.session.get_one(Deal, deal).stock_available,
            group.units_reserved,
            group.units_paid,
            bought,
            events,
        )


def test_cancel_unpaid_returns_units_once(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(stock=10)
    order_id, headers = _place(shop, client, deal, 3)
    with clock.frozen(T0 + timedelta(minutes=1)):
        response = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)
        assert response.status_code == 200 and response.json["status"] == "cancelled"
        assert _state(app, order_id, deal) == (OrderStatus.CANCELLED, 10, 0, 0, 0, 2)
        again = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)
    assert again.status_code == 409 and again.json["code"] == "illegal_transition"
    assert _state(app, order_id, deal) == (OrderStatus.CANCELLED, 10, 0, 0, 0, 2)


def test_cancel_paid_goes_to_refunding_with_the_refund_due(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(stock=10, price_fen=500)
    order_id, headers = _place(shop, client, deal, 2)
    _pay(app, order_id)
    with clock.frozen(T0 + timedelta(minutes=1)):
        response = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)
    assert response.status_code == 200 and response.json["status"] == "refunding"
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        assert (order.paid_fen, order.refund_due_fen, order.refunded_fen) == (1000, 1000, 0)
    assert _state(app, order_id, deal)[:5] == (OrderStatus.REFUNDING, 10, 0, 0, 0)


def test_cancel_after_cutoff_is_refused(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    order_id, headers = _place(shop, client, deal)
    with clock.frozen(shop.cutoff), unchanged(app, *ORDER_STATE):
        response = client.post(f"/api/v1/orders/{order_id}/cancel", headers=headers)
    assert response.status_code == 409 and response.json["code"] == "cutoff_passed"


def test_expire_only_after_the_window_and_only_once(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(stock=10)
    order_id, _ = _place(shop, client, deal, 4)
    with app.app_context():
        assert expire_order(order_id=order_id, now=T0 + timedelta(minutes=14)) is None
        assert expire_order(order_id=order_id, now=T0 + timedelta(minutes=15)).status is OrderStatus.CANCELLED
        assert expire_order(order_id=order_id, now=T0 + timedelta(minutes=16)) is None
    assert _state(app, order_id, deal) == (OrderStatus.CANCELLED, 10, 0, 0, 0, 2)


def test_payment_issues_an_eight_digit_pickup_code(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    order_id, headers = _place(shop, client, deal, 2)
    assert _pay(app, order_id).status is OrderStatus.PAID
    body = client.get(f"/api/v1/orders/{order_id}", headers=headers).json
    assert body["status"] == "paid" and len(body["pickup_code"]) == 8 and body["pickup_code"].isdigit()
    assert str(order_id) not in body["pickup_code"] or len(str(order_id)) < 3
    assert _state(app, order_id, deal)[2:4] == (2, 2)


def test_wrong_amount_does_not_pay(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=990)
    order_id, _ = _place(shop, client, deal)
    with app.app_context(), pytest.raises(Conflict) as refused:
        mark_order_paid(order_id=order_id, amount_fen=1, actor="test", now=T0)
    assert refused.value.code == "amount_mismatch"
    assert _state(app, order_id, deal)[0] is OrderStatus.PENDING_PAYMENT


def test_a_payment_gets_a_typed_answer_and_a_refusal_changes_nothing(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal(price_fen=990, stock=10)
    wrong, _ = _place(shop, client, deal)
    late, late_headers = _place(shop, client, deal)
    paid, _ = _place(shop, client, deal)
    with clock.frozen(T0 + timedelta(minutes=1)):
        assert client.post(f"/api/v1/orders/{late}/cancel", headers=late_headers).status_code == 200
    before = _state(app, wrong, deal)
    with app.app_context(), transaction():
        answers = [
            apply_payment(order_id=wrong, amount_fen=1, actor="test", now=T0),
            apply_payment(order_id=late, amount_fen=990, actor="test", now=T0),
            apply_payment(order_id=paid, amount_fen=990, actor="test", now=T0),
        ]
    assert answers == [
        PaymentAnswer(PaymentOutcome.REFUSED, "amount_mismatch"),
        PaymentAnswer(PaymentOutcome.TOO_LATE, "illegal_transition"),
        PaymentAnswer(PaymentOutcome.PAID),
    ]
    assert _state(app, wrong, deal)[0] is OrderStatus.PENDING_PAYMENT
    assert _state(app, paid, deal)[0] is OrderStatus.PAID
    assert _state(app, wrong, deal)[2:] == (before[2], before[3] + 1, before[4], before[5])


def test_pickup_codes_do_not_clash_for_one_leader_and_day(
    shop: Shop, client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = shop.deal()
    first, _ = _place(shop, client, deal)
    second, _ = _place(shop, client, deal)
    draws = iter(["12345678", "12345678", "87654321"])
    monkeypatch.setattr(order_numbers, "new_pickup_code", lambda: next(draws))
    from groupbuy.orders.service import lifecycle

    monkeypatch.setattr(lifecycle, "new_pickup_code", order_numbers.new_pickup_code)
    codes = {_pay(app, first).pickup_code, _pay(app, second).pickup_code}
    assert codes == {"12345678", "87654321"}


def test_confirm_receipt_only_after_pickup(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    order_id, headers = _place(shop, client, deal)
    with unchanged(app, *ORDER_STATE):
        early = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=headers)
    assert early.status_code == 409 and early.json["code"] == "illegal_transition"
    _pay(app, order_id)
    with app.app_context():
        for event in (OrderEvent.CONFIRM, OrderEvent.STOCK, OrderEvent.SHIP, OrderEvent.ARRIVE, OrderEvent.PICK_UP):
            transition(order_id=order_id, event=event, actor="leader:1", now=T0)
    done = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=headers)
    assert done.status_code == 200 and done.json["status"] == "completed"
    assert [e["to_status"] for e in done.json["timeline"]] == [
        "pending_payment",
        "paid",
        "confirmed",
        "stocking",
        "shipped",
        "ready_for_pickup",
        "picked_up",
        "completed",
    ]


def test_someone_elses_order_is_404(shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal()
    order_id, _ = _place(shop, client, deal)
    stranger = shop.auth(shop.shopper())
    assert client.get(f"/api/v1/orders/{order_id}", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/orders/{order_id}/cancel", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=stranger).status_code == 404
    assert client.get("/api/v1/orders", headers=stranger).json["total"] == 0


def test_list_filters_by_status_and_pages(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    ids = [_place(shop, client, deal, buyer=buyer)[0] for _ in range(3)]
    _pay(app, ids[0])
    headers = shop.auth(buyer)
    page = client.get("/api/v1/orders?page=1&page_size=2", headers=headers).json
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (3, 1, 2, 2)
    paid = client.get("/api/v1/orders?status=paid", headers=headers).json
    assert [o["id"] for o in paid["items"]] == [ids[0]]
    assert client.get("/api/v1/orders?page_size=101", headers=headers).status_code == 422


ILLEGAL = [
    (event, status)
    for event, status in itertools.product(OrderEvent, OrderStatus)
    if event is not OrderEvent.PLACE and status not in TRANSITIONS[event]
]


@pytest.mark.parametrize(("event", "status"), ILLEGAL, ids=[f"{e.value}-from-{s.value}" for e, s in ILLEGAL])
def test_every_illegal_transition_is_409_and_changes_nothing(
    shop: Shop, client: FlaskClient, app: Flask, event: OrderEvent, status: OrderStatus
) -> None:
    deal = shop.deal()
    order_id, _ = _place(shop, client, deal)
    with app.app_context():
        with transaction():
            db.session.execute(update(Order).where(Order.id == order_id).values(status=status))
        before = db.session.execute(select(Order.__table__).where(Order.id == order_id)).one()
        with pytest.raises(Conflict) as refused:
            transition(order_id=order_id, event=event, actor="test", now=T0 + timedelta(hours=1))
        assert refused.value.code == "illegal_transition"
        db.session.expire_all()
        after = db.session.execute(select(Order.__table__).where(Order.id == order_id)).one()
        events = db.session.scalar(select(func.count()).where(OrderTimelineEvent.order_id == order_id))
    assert after == before
    assert events == 1
