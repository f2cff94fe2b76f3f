"""Several refunds on the same line (an amount for goods kept, then units; or units, then an amount) never trip
``ck_order_lines_refunded_within_total`` as a 500: asking past what is refundable is a 409 with a clear code, and
all refunds of an order add up to what was paid, exactly, with a discount spread over its lines."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from groupbuy.db import db, transaction
from groupbuy.errors import Conflict
from groupbuy.orders.enums import OrderEvent, RefundReason
from groupbuy.orders.models import Order, OrderLine, OrderRefund
from groupbuy.orders.service import refund_lines, refundable_lines, transition
from tests.aftersales.conftest import PICKED_UP_AT, SOON, act, ask, line_ids, received_order
from tests.factories.market import T0, Shop
from tests.factories.payments import PaymentFactory
from tests.jobs.conftest import pay, place


def test_kept_amount_then_return_of_the_same_units(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str]
) -> None:
    deal = shop.deal(price_fen=1000)
    user = shop.shopper()
    order_id = received_order(app, user, {deal: 2})
    (line,) = line_ids(app, order_id)
    kept = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 500)
    assert act(client, leader, f"/leader/after-sales/{kept.json['id']}/accept").status_code == 200
    # the return of both units now pays what is left of them: 2000 - 500
    later = SOON + timedelta(hours=1)
    wrong = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 2000, type="return_refund", at=later)
    assert wrong.status_code == 409 and wrong.json["code"] == "refund_exceeds_refundable"
    back = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 1500, type="return_refund", at=later)
    assert back.status_code == 201, back.json
    assert act(client, leader, f"/leader/after-sales/{back.json['id']}/accept", at=later).status_code == 200
    with app.app_context():
        row = db.session.get_one(OrderLine, line)
        assert (row.refunded_quantity, row.refunded_fen, row.kept_refund_fen) == (2, 2000, 0)
        order = db.session.get_one(Order, order_id)
        assert (order.payable_fen, order.refund_due_fen) == (0, 2000)
        assert order.status.value in {"refunding", "refunded"}  # the sandbox provider may have paid it back already


def test_units_then_a_kept_amount_on_the_rest(shop: Shop, app: Flask) -> None:
    deal = shop.deal(price_fen=1000)
    order_id = received_order(app, shop.shopper(), {deal: 2})
    (line,) = line_ids(app, order_id)
    with app.app_context():
        refund_lines(order_id=order_id, lines=[(line, 1)], reason=RefundReason.AFTER_SALE, actor="t", now=SOON)
        assert refundable_lines(order_id=order_id)[line].kept_fen == 1000
        with pytest.raises(Conflict) as refused:
            refund_lines(
                order_id=order_id, lines=[], amounts=[(line, 1001)], reason=RefundReason.AFTER_SALE, actor="t", now=SOON
            )
        assert refused.value.code == "refund_exceeds_refundable"
        refund_lines(
            order_id=order_id, lines=[], amounts=[(line, 1000)], reason=RefundReason.AFTER_SALE, actor="t", now=SOON
        )
        # the last unit, whose price the kept amount already paid: refunded at 0, settled at once, never past the line
        outcome = refund_lines(
            order_id=order_id, lines=[(line, 1)], reason=RefundReason.AFTER_SALE, actor="t", now=SOON
        )
        assert outcome.amount_fen == 0
        row = db.session.get_one(OrderLine, line)
        assert (row.refunded_quantity, row.refunded_fen, row.kept_refund_fen) == (2, 2000, 0)


def _discounted_order(app: Flask, shop: Shop, discount: int) -> tuple[int, list[int]]:
    """Lines 3 × 997 and 2 × 1301 with ``discount`` off the order (the coupon to come), received."""
    a, b = shop.deal(price_fen=997), shop.deal(price_fen=1301)
    order_id = place(app, shop.shopper(), a, 3, **{str(b): 2})
    with app.app_context(), transaction():  # the coupon's share spread over the lines, as checkout does
        first, second = line_ids(app, order_id)
        db.session.execute(update(OrderLine).where(OrderLine.id == first).values(discount_fen=discount * 2 // 5))
        db.session.execute(
            update(OrderLine).where(OrderLine.id == second).values(discount_fen=discount - discount * 2 // 5)
        )
        db.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(discount_fen=discount, payable_fen=Order.items_fen - discount)
        )
    pay(app, order_id)
    with app.app_context():
        paid = db.session.get_one(Order, order_id).paid_fen
        PaymentFactory(order_id=order_id, amount_fen=paid, created_at=T0, paid_at=T0)
        at = PICKED_UP_AT - timedelta(hours=1)
        for event in (OrderEvent.CONFIRM, OrderEvent.SHIP, OrderEvent.ARRIVE, OrderEvent.PICK_UP):
            transition(order_id=order_id, event=event, actor="test", now=at)
    return order_id, line_ids(app, order_id)


STEPS = [("kept", 0), ("unit", 0), ("kept", 1), ("unit", 1)]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_any_sequence_adds_up_to_what_was_paid(shop: Shop, app: Flask, order: tuple[int, ...]) -> None:
    order_id, lines = _discounted_order(app, shop, discount=733)
    with app.app_context():
        for step in order:
            kind, index = STEPS[step]
            line = lines[index]
            figures = refundable_lines(order_id=order_id)[line]
            if kind == "kept" and figures.kept_fen:
                refund_lines(
                    order_id=order_id,
                    lines=[],
                    amounts=[(line, figures.kept_fen)],
                    reason=RefundReason.AFTER_SALE,
                    actor="t",
                    now=SOON,
                )
            elif kind == "unit" and figures.quantity:
                refund_lines(order_id=order_id, lines=[(line, 1)], reason=RefundReason.AFTER_SALE, actor="t", now=SOON)
        for line in lines:  # then everything left, unit by unit
            while (left := refundable_lines(order_id=order_id)[line].quantity) > 0:
                refund_lines(order_id=order_id, lines=[(line, 1)], reason=RefundReason.AFTER_SALE, actor="t", now=SOON)
        db.session.expire_all()
        o = db.session.get_one(Order, order_id)
        ledger = db.session.scalar(select(func.sum(OrderRefund.amount_fen)).where(OrderRefund.order_id == order_id))
        line_sum = db.session.scalar(select(func.sum(OrderLine.refunded_fen)).where(OrderLine.order_id == order_id))
        assert ledger == line_sum == o.refund_due_fen == o.paid_fen == 3 * 997 + 2 * 1301 - 733
        assert (o.payable_fen, o.items_fen, o.discount_fen) == (0, 0, 0)
        assert left == 0
