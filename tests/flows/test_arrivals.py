"""Arrival with shortages: exactly the missing units refunded, latest orders first, units and money conserved
(asserted in SQL), once per leader and pickup date — also when two arrivals race (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from groupbuy import clock
from groupbuy.db import db
from groupbuy.notifications.models import Notification
from groupbuy.orders.enums import LineStatus, OrderStatus, RefundReason
from groupbuy.orders.models import ArrivalShortage, Order, OrderLine, OrderRefund
from groupbuy.payments import jobs
from groupbuy.payments.enums import RefundSource, RefundState
from groupbuy.payments.models import Refund
from tests.factories.market import T0, Shop
from tests.flows.conftest import AFTER_CUTOFF, arrive, confirm, dispatch, leader_headers, order_row, paid_order
from tests.orders.test_line_refunds import _order_paid_by_sandbox

ARRIVED = AFTER_CUTOFF + timedelta(hours=12)
APPLES = 990


def _five_orders(shop: Shop, app: Flask) -> tuple[int, int, list[int]]:
    """Five orders of 2 apples each (10 units), placed ten minutes apart; the third also buys 1 soy sauce."""
    apples, soy = shop.deal(price_fen=APPLES), shop.deal(price_fen=1500)
    orders = []
    for n in range(5):
        items = {apples: 2, soy: 1} if n == 2 else {apples: 2}
        orders.append(paid_order(app, shop.shopper(), items, at=T0 + timedelta(minutes=10 * n)))
    return apples, soy, orders


def _conservation(app: Flask, deal_id: int) -> dict[str, int]:
    """Units and money in SQL: shipped = received + refunded; refunded fen = the ledger; payable + due = paid."""
    with app.app_context():
        units = db.session.execute(
            text(
                "SELECT SUM(quantity), SUM(refunded_quantity), SUM(quantity - refunded_quantity),"
                " SUM(refunded_fen) FROM order_lines WHERE deal_id = :deal"
            ),
            {"deal": deal_id},
        ).one()
        shortage = db.session.execute(
            text(
                "SELECT ordered_quantity, received_quantity, refunded_quantity, refunded_fen"
                " FROM arrival_shortages WHERE deal_id = :deal"
            ),
            {"deal": deal_id},
        ).one()
        ledger = db.session.scalar(
            text(
                "SELECT SUM(rl.amount_fen) FROM order_refund_lines rl JOIN order_lines l ON l.id = rl.line_id"
                " JOIN order_refunds r ON r.id = rl.order_refund_id WHERE l.deal_id = :deal AND r.reason = 'shortage'"
            ),
            {"deal": deal_id},
        )
        unbalanced = db.session.scalar(
            text("SELECT COUNT(*) FROM orders WHERE paid_fen > 0 AND payable_fen + refund_due_fen <> paid_fen")
        )
        ordered, refunded, kept, refunded_fen = (int(v) for v in units)
        assert shortage.ordered_quantity == ordered == shortage.received_quantity + shortage.refunded_quantity
        assert shortage.received_quantity == kept and shortage.refunded_quantity == refunded
        assert shortage.refunded_fen == refunded_fen == int(ledger or 0)
        assert unbalanced == 0
        return {"ordered": ordered, "received": kept, "refunded": refunded, "refunded_fen": refunded_fen}


def test_a_shortage_of_3_units_refunds_exactly_those_units_latest_orders_first(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]
) -> None:
    apples, soy, orders = _five_orders(shop, app)
    assert dispatch(client, admin, shop.leader_id).status_code == 200

    response = arrive(client, leader, {apples: 7, soy: 1}, ARRIVED)

    assert response.status_code == 201, response.json
    body = response.json
    assert body["shortages"] == [
        {
            "deal_id": apples,
            "product_name": body["shortages"][0]["product_name"],
            "ordered": 10,
            "received": 7,
            "refunded_fen": 3 * APPLES,
            "orders_affected": 2,
        }
    ]
    # The newest order loses both its apples (nothing left: refunding), the one before it one apple.
    assert {(r["order_id"], r["amount_fen"], r["whole_order"]) for r in body["refunds"]} == {
        (orders[4], 2 * APPLES, True),
        (orders[3], APPLES, False),
    }
    assert sorted(o["order_id"] for o in body["ready"]) == orders[:4]
    assert _conservation(app, apples) == {"ordered": 10, "received": 7, "refunded": 3, "refunded_fen": 3 * APPLES}
    with app.app_context():
        status = dict(db.session.execute(select(Order.id, Order.status)).all())
        assert [status[o] for o in orders] == [OrderStatus.READY_FOR_PICKUP] * 4 + [OrderStatus.REFUNDING]
        refunded_lines = db.session.execute(
            select(OrderLine.order_id, OrderLine.refunded_quantity, OrderLine.status, OrderLine.refund_reason)
            .where(OrderLine.refunded_quantity > 0)
            .order_by(OrderLine.order_id)
        ).all()
        assert refunded_lines == [
            (orders[3], 1, LineStatus.ACTIVE, RefundReason.SHORTAGE),
            (orders[4], 2, LineStatus.REFUNDING, RefundReason.SHORTAGE),
        ]
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 2
        kinds = dict(
            db.session.execute(
                select(Notification.kind, func.count())
                .group_by(Notification.kind)
                .where(Notification.kind != "order_paid")
            ).all()
        )
        assert kinds == {"goods_arrived": 4, "order_shortage": 2, "leader_dispatch": 1}
        told = db.session.scalars(select(Notification).where(Notification.kind == "goods_arrived")).first()
        assert told is not None and order_row(app, told.payload["order_id"]).pickup_code in told.body


def test_repeating_an_arrival_is_409_and_refunds_nothing_more(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]
) -> None:
    apples, _, _ = _five_orders(shop, app)
    dispatch(client, admin, shop.leader_id)
    assert arrive(client, leader, {apples: 7}, ARRIVED).status_code == 201

    again = arrive(client, leader, {apples: 7}, ARRIVED + timedelta(minutes=5))

    assert again.status_code == 409 and again.json["code"] == "arrival_already_recorded"
    assert ARRIVED.strftime("%Y-%m-%dT%H:%M") in again.json["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 2
        assert db.session.scalar(select(func.count()).select_from(ArrivalShortage)) == 1
    assert _conservation(app, apples)["refunded"] == 3


def test_arrival_refuses_what_was_not_shipped_and_changes_nothing(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]
) -> None:
    apples, _, orders = _five_orders(shop, app)
    early = arrive(client, leader, {apples: 10}, ARRIVED)
    assert early.status_code == 409 and early.json["code"] == "nothing_shipped"
    dispatch(client, admin, shop.leader_id)
    too_many = arrive(client, leader, {apples: 11}, ARRIVED)
    assert too_many.status_code == 422 and "lines" in too_many.json["errors"]
    unknown = arrive(client, leader, {shop.deal(): 1}, ARRIVED)
    assert unknown.status_code == 422
    assert all(order_row(app, o).status is OrderStatus.SHIPPED for o in orders)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 0


def test_a_leader_cannot_post_arrivals_for_another_leaders_orders(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], other_leader_id: int
) -> None:
    apples, _, orders = _five_orders(shop, app)
    dispatch(client, admin, shop.leader_id)

    response = arrive(client, leader_headers(app, other_leader_id), {apples: 0}, ARRIVED)

    assert response.status_code == 409 and response.json["code"] == "nothing_shipped"
    assert all(order_row(app, o).status is OrderStatus.SHIPPED for o in orders)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 0


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_two_arrivals_at_once_refund_once(
    shop: Shop, app: Flask, busy_app: Flask, admin: dict[str, str], leader: dict[str, str], round_: int
) -> None:
    apples, _, _ = _five_orders(shop, app)
    dispatch(app.test_client(), admin, shop.leader_id)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        client = busy_app.test_client()
        barrier.wait()
        statuses.append(arrive(client, leader, {apples: 7}, ARRIVED).status_code)

    with clock.frozen(ARRIVED):
        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(statuses) == [201, 409]
    assert _conservation(app, apples)["refunded"] == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 2
        assert db.session.scalar(select(func.count()).where(Order.status == OrderStatus.READY_FOR_PICKUP)) == 4


def test_the_shortage_refund_reaches_the_shopper_through_payments(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]
) -> None:
    apples = shop.deal(price_fen=APPLES, min_group_quantity=1)
    order = _order_paid_by_sandbox(shop, client, {apples: 3})
    confirm(app, order["id"])
    dispatch(client, admin, shop.leader_id)
    assert arrive(client, leader, {apples: 1}, ARRIVED).status_code == 201

    with app.app_context():
        assert jobs.retry_refunds(ARRIVED)["due_requested"] == 1
        assert jobs.retry_refunds(ARRIVED + timedelta(hours=1))["due_requested"] == 0
        (refund,) = db.session.scalars(select(Refund)).all()
        ledger = db.session.scalars(select(OrderRefund)).one()
        assert (refund.amount_fen, refund.source, refund.order_refund_id) == (
            2 * APPLES,
            RefundSource.SHORTAGE,
            ledger.id,
        )
        assert refund.status is RefundState.SUCCEEDED and ledger.refunded_at is not None
    after = order_row(app, order["id"])
    assert after.status is OrderStatus.READY_FOR_PICKUP
    assert (after.paid_fen, after.payable_fen, after.refund_due_fen, after.refunded_fen) == (
        3 * APPLES,
        APPLES,
        2 * APPLES,
        2 * APPLES,
    )
