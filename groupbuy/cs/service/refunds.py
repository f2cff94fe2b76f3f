"""Goodwill refunds: customer service gives units of an order's lines back, or an amount for goods the shopper
keeps, through the line-level refund entry point (priced and capped there, owed by payments like any other refund,
shown in the CS refund queue), audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from groupbuy.audit.service import record_action
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.orders.enums import RefundReason
from groupbuy.orders.models import Order
from groupbuy.orders.service import LineRefundable, OrderRefundOutcome, refund_lines, refundable_lines


@dataclass(frozen=True)
class GoodwillLine:
    order_item_id: int
    quantity: int | None = None  # units refunded at their price
    amount_fen: int | None = None  # or money for goods kept (at most the line's kept_fen)


def _money(order_id: int) -> dict[str, object]:
    row = db.session.execute(
        select(Order.status, Order.payable_fen, Order.refund_due_fen).where(Order.id == order_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound()
    return {"status": row.status.value, "payable_fen": row.payable_fen, "refund_due_fen": row.refund_due_fen}


def goodwill_refund(
    *,
    order_id: int,
    lines: Sequence[GoodwillLine] = (),
    amount_fen: int | None = None,
    reason: str,
    actor_id: int,
    now: datetime,
) -> OrderRefundOutcome:
    """Refund these units or amounts, or ``amount_fen`` for the order's kept goods spread line by line (409
    refund_exceeds_line / refund_exceeds_refundable past what is left, order_not_refundable when the order took no
    money or is already refunded); the audit entry keeps the order's money before and after."""
    with transaction():
        before = _money(order_id)
        amounts = [(line.order_item_id, line.amount_fen) for line in lines if line.amount_fen]
        if amount_fen:
            amounts += _spread(amount_fen, refundable_lines(order_id=order_id))
        outcome = refund_lines(
            order_id=order_id,
            lines=[(line.order_item_id, line.quantity) for line in lines if line.quantity],
            amounts=amounts,
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


def _spread(fen: int, figures: dict[int, LineRefundable]) -> list[tuple[int, int]]:
    """An amount for the order's kept goods, line by line (in line order) up to what each may still take."""
    amounts = []
    for line_id in sorted(figures):
        take = min(fen, figures[line_id].kept_fen)
        if take > 0:
            amounts.append((line_id, take))
            fen -= take
    if fen > 0:
        raise Conflict("refund_exceeds_refundable")
    return amounts
