"""Goodwill refunds: customer service gives units of an order's lines back through the line-level refund entry
point (priced there, owed by payments like any other refund, shown in the CS refund queue), audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from groupbuy.audit.service import record_action
from groupbuy.db import db, transaction
from groupbuy.errors import NotFound
from groupbuy.orders.enums import RefundReason
from groupbuy.orders.models import Order
from groupbuy.orders.service import OrderRefundOutcome, refund_lines


@dataclass(frozen=True)
class GoodwillLine:
    order_item_id: int
    quantity: int


def _money(order_id: int) -> dict[str, object]:
    row = db.session.execute(
        select(Order.status, Order.payable_fen, Order.refund_due_fen).where(Order.id == order_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound()
    return {"status": row.status.value, "payable_fen": row.payable_fen, "refund_due_fen": row.refund_due_fen}


def goodwill_refund(
    *, order_id: int, lines: Sequence[GoodwillLine], reason: str, actor_id: int, now: datetime
) -> OrderRefundOutcome:
    """Refund these units (409 refund_exceeds_line past what a line still has, order_not_refundable when the order
    took no money or is already refunded); the audit entry keeps the order's money before and after."""
    with transaction():
        before = _money(order_id)
        outcome = refund_lines(
            order_id=order_id,
            lines=[(line.order_item_id, line.quantity) for line in lines],
            reason=RefundReason.AFTER_SALE,
            actor=f"cs:{actor_id}",
            now=now,
        )
        db.session.expire_all()
        after = {**_money(order_id), "order_refund_id": outcome.order_refund_id, "amount_fen": outcome.amount_fen}
        record_action(
            actor_id=actor_id,
            action="order.goodwill_refund",
            object_type="order",
            object_id=order_id,
            before=before,
            after=after,
            reason=reason,
            now=now,
        )
        return outcome
