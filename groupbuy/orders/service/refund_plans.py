"""Pricing line refunds: what units are refunded at, what amounts for kept goods may be, the refundable figures.

Units are priced out of what their line was paid (line total less the line's discount_fen, the coupon's share
spread at checkout), cumulatively per line, less what an earlier amount for the same goods kept already paid. An
amount for kept goods (an after-sale refund without return) may be at most what the line's active units would
still be refunded, less amounts already given, so a later unit refund never pays past the line
(``ck_order_lines_refunded_within_total``) or the order: every refund of a line adds up to its paid amount.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.orders.enums import RefundReason
from groupbuy.orders.models import Order, OrderLine
from groupbuy.settings import settings

ORDER_COLUMNS = (
    Order.id,
    Order.user_id,
    Order.order_no,
    Order.status,
    Order.items_fen,
    Order.delivery_fee_fen,
    Order.discount_fen,
    Order.payable_fen,
    Order.refund_due_fen,
)
LINE_COLUMNS = (
    OrderLine.id,
    OrderLine.order_id,
    OrderLine.deal_id,
    OrderLine.group_id,
    OrderLine.product_name,
    OrderLine.unit_price_fen,
    OrderLine.quantity,
    OrderLine.line_total_fen,
    OrderLine.discount_fen,
    OrderLine.refunded_quantity,
    OrderLine.refunded_fen,
    OrderLine.kept_refund_fen,
)


@dataclass
class RefundPlan:
    order: Any
    units: list[tuple[Any, int, int, int]]  # (line row, quantity, fen paid, fen taken from the line's kept amount)
    kept: list[tuple[Any, int]]  # (line row, fen for goods kept)
    discount_back_fen: int
    delivery_fee_fen: int
    whole_order: bool

    @property
    def amount_fen(self) -> int:
        return sum(u[2] for u in self.units) + sum(fen for _, fen in self.kept) + self.delivery_fee_fen


def paid_for_units(line: Any, units: int) -> int:
    """What the first ``units`` units of a line were paid: their value less their share of the line's discount
    (rounded so that every unit together is exactly line_total_fen - discount_fen)."""
    return int(line.unit_price_fen * units - line.discount_fen * units // line.quantity)


def _kept_cap(line: Any) -> int:
    """The most an amount for kept goods on ``line`` may still be: what its active units would still be refunded
    (their paid share, exact per line whatever the steps) less what was already given for them while kept."""
    left = paid_for_units(line, line.quantity) - paid_for_units(line, line.refunded_quantity)
    return int(max(0, min(left - line.kept_refund_fen, line.line_total_fen - line.refunded_fen)))


def plan_refund(
    order: Any,
    lines: list[Any],
    wanted: Sequence[tuple[int, int]],
    reason: RefundReason,
    strict: bool,
    kept_asked: Sequence[tuple[int, int]],
) -> RefundPlan | None:
    """Price the units asked for out of what their line was paid (cumulatively per line), less what an earlier
    amount for the same goods kept already paid; and check the amounts for kept goods against what is left."""
    by_id = {line.id: line for line in lines}
    asked: Counter[int] = Counter()
    for line_id, quantity in wanted:
        if line_id not in by_id or quantity < 1:
            raise Invalid(errors={"lines": [f"line {line_id}: not a line of order {order.id} or quantity < 1"]})
        asked[line_id] += quantity
    kept_of: Counter[int] = Counter()
    for line_id, fen in kept_asked:
        if line_id not in by_id or fen < 1 or line_id in asked:
            raise Invalid(errors={"amounts": [f"line {line_id}: not a line of order {order.id}, or fen < 1"]})
        kept_of[line_id] += fen
    units: list[tuple[Any, int, int, int]] = []
    for line_id in sorted(asked):
        line = by_id[line_id]
        quantity = min(asked[line_id], line.quantity - line.refunded_quantity)
        if quantity < asked[line_id] and strict:
            raise Conflict("refund_exceeds_line")
        if quantity <= 0:
            continue
        done = line.refunded_quantity
        due = paid_for_units(line, done + quantity) - paid_for_units(line, done)
        taken = min(line.kept_refund_fen, due)  # already paid for these goods while they were kept
        if due - taken > line.line_total_fen - line.refunded_fen:  # cannot happen by the figures: refuse, not 500
            raise Conflict("refund_exceeds_refundable")
        units.append((line, quantity, due - taken, taken))
    kept: list[tuple[Any, int]] = []
    for line_id in sorted(kept_of):
        if kept_of[line_id] > _kept_cap(by_id[line_id]):
            raise Conflict("refund_exceeds_refundable")
        kept.append((by_id[line_id], kept_of[line_id]))
    if not units and not kept:
        return None
    left = sum(line.quantity - line.refunded_quantity for line in lines) - sum(u[1] for u in units)
    fee = order.delivery_fee_fen if units and left == 0 and settings().delivery_fee_refund == "whole_order" else 0
    return RefundPlan(
        order=order,
        units=units,
        kept=kept,
        discount_back_fen=sum(line.unit_price_fen * q - fen for line, q, fen, _ in units) - sum(f for _, f in kept),
        delivery_fee_fen=fee,
        whole_order=left == 0,
    )


@dataclass(frozen=True)
class LineRefundable:
    """What is still refundable on one line now: its active units and their price (after the order's discount and
    any amount already given for kept goods), and the most an amount for kept goods may still be."""

    line_id: int
    quantity: int
    units_fen: int
    kept_fen: int


def refundable_lines(*, order_id: int) -> dict[int, LineRefundable]:
    """The refundable figures of every line of an order (each line as if refunded next; read, nothing locked)."""
    with transaction():
        order, lines = _order_and_lines(order_id)
        if order is None:
            raise NotFound()
        figures = {}
        for line in lines:
            left = line.quantity - line.refunded_quantity
            units = plan_refund(order, lines, [(line.id, left)], RefundReason.AFTER_SALE, True, ()) if left else None
            figures[line.id] = LineRefundable(
                line_id=line.id,
                quantity=left,
                units_fen=units.units[0][2] if units else 0,
                kept_fen=_kept_cap(line),
            )
        return figures


def _order_and_lines(order_id: int) -> tuple[Any, list[Any]]:
    order = db.session.execute(select(*ORDER_COLUMNS).where(Order.id == order_id)).one_or_none()
    lines = list(db.session.execute(select(*LINE_COLUMNS).where(OrderLine.order_id == order_id).order_by(OrderLine.id)))
    return order, lines


def price_units(*, order_id: int, lines: Sequence[tuple[int, int]]) -> int:
    """What refunding these ``(line_id, quantity)`` units together would pay now (a delivery fee going back with the
    last units included); 409 ``refund_exceeds_line`` for more units than are active."""
    with transaction():
        order, rows = _order_and_lines(order_id)
        if order is None:
            raise NotFound()
        plan = plan_refund(order, rows, lines, RefundReason.AFTER_SALE, True, ())
        return plan.amount_fen if plan else 0
