"""Refunds as the order sees them: money given back is counted, and a refunding order owed nothing more is refunded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from groupbuy.db import db, transaction
from groupbuy.errors import Conflict
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order
from groupbuy.orders.service.lifecycle import transition
from groupbuy.orders.service.line_refunds import order_refund_done


def record_order_refund(*, order_id: int, amount_fen: int, now: datetime, order_refund_id: int | None = None) -> Order:
    """A refund reached the shopper: refunded_fen grows (never past paid_fen), the lines it paid back are
    refunded, then the order may be refunded."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise Conflict("refund_amount_invalid")
    with transaction():
        counted = db.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.refunded_fen + amount_fen <= Order.paid_fen)
            .values(refunded_fen=Order.refunded_fen + amount_fen, updated_at=now)
        )
        if counted.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("refund_exceeds_paid")
        if order_refund_id is not None:
            order_refund_done(order_refund_id=order_refund_id, now=now)
        return finish_refunding_order(order_id=order_id, now=now)


def finish_refunding_order(*, order_id: int, now: datetime) -> Order:
    """A refunding order whose refund_due_fen has been refunded in full moves refunding → refunded, once."""
    with transaction():
        order = db.session.execute(
            select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
        ).scalar_one()
        if order.status is not OrderStatus.REFUNDING or order.refunded_fen < order.refund_due_fen:
            return order
        try:
            with db.session.begin_nested():  # a concurrent refund finished it first: nothing to undo but ours
                return transition(
                    order_id=order_id,
                    event=OrderEvent.REFUND_DONE,
                    actor="payments",
                    now=now,
                    note=f"refunded {order.refunded_fen} fen",
                    values={"closed_at": now},
                )
        except Conflict:
            return order
