"""Refunds line by line: the one place that decides how much money goes back for which units.

A refund takes units off order lines (a failed or cancelled group, a shortage, an after-sale, a cancelled order),
prices them, writes one ``order_refunds`` row (the ledger payments works from: one provider refund per row),
takes the amount off the order's totals (so ``payable_fen + refund_due_fen == paid_fen``), gives the units
back (stock, per-user limit, group counters) and writes one timeline row per line. When no active unit is
left the order moves to ``refunding`` (and to ``refunded`` once payments reports the money back).

The bulk form serves the closing job (set-based: a fixed number of statements per batch, whatever its size);
the single form locks its order and calls the bulk form, so both follow the same rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update

from groupbuy.common.bulk import insert_many, update_many
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.notifications.templates import yuan
from groupbuy.orders.enums import LineStatus, OrderEvent, OrderStatus, RefundReason
from groupbuy.orders.models import Order, OrderLine, OrderRefund, OrderRefundLine, OrderTimelineEvent
from groupbuy.orders.service.bulk import LineUnits, release_line_units
from groupbuy.orders.service.refund_plans import LINE_COLUMNS, ORDER_COLUMNS, RefundPlan, plan_refund
from groupbuy.orders.states import TRANSITIONS, next_status

# Paid orders whose lines may still be refunded (the states LINE_REFUND may start from).
REFUNDABLE_STATES = frozenset(TRANSITIONS[OrderEvent.LINE_REFUND])

REASON_TEXT = {
    RefundReason.GROUP_FAILED: "未成团",
    RefundReason.GROUP_CANCELLED: "团已取消",
    RefundReason.SHORTAGE: "缺货",
    RefundReason.AFTER_SALE: "售后",
    RefundReason.ORDER_CANCELLED: "订单取消",
}
# The event that moves an order whose last active line was refunded, by reason (REFUND otherwise).
WHOLE_ORDER_EVENT = {
    RefundReason.GROUP_FAILED: OrderEvent.GROUP_FAIL,
    RefundReason.GROUP_CANCELLED: OrderEvent.GROUP_FAIL,
    RefundReason.ORDER_CANCELLED: OrderEvent.CANCEL,
}


@dataclass(frozen=True)
class RefundedLine:
    line_id: int
    group_id: int
    product_name: str
    quantity: int
    amount_fen: int


@dataclass(frozen=True)
class OrderRefundOutcome:
    """What one refund did to one order."""

    order_id: int
    user_id: int
    order_no: str
    order_refund_id: int
    amount_fen: int
    delivery_fee_fen: int
    lines: tuple[RefundedLine, ...]
    whole_order: bool  # no active unit left: the order moved to refunding
    status: OrderStatus  # the order's status afterwards


def refund_lines(
    *,
    order_id: int,
    lines: Sequence[tuple[int, int]],
    reason: RefundReason,
    actor: str,
    now: datetime,
    amounts: Sequence[tuple[int, int]] = (),
) -> OrderRefundOutcome:
    """Refund ``quantity`` units of each ``(line_id, quantity)`` of a paid order: priced here, owed by payments.

    ``amounts`` (``(line_id, fen)``): money for goods the shopper keeps (an after-sale refund without return), at
    most ``refundable_lines(...)[line_id].kept_fen`` each; a later refund of those units pays their price less it.
    Asking more than is refundable is a 409 (``refund_exceeds_line``, ``refund_exceeds_refundable``), never a 500.
    """
    with transaction():
        lock_refundable_order(order_id=order_id)
        outcomes = refund_lines_of_orders(
            requests={order_id: lines}, reason=reason, actor=actor, now=now, strict=True, amounts={order_id: amounts}
        )
        return outcomes[0]


def lock_refundable_order(*, order_id: int) -> None:
    """Hold the order row for this transaction (one refund of an order at a time); 409 if it takes no refund."""
    with transaction():
        status = db.session.scalar(select(Order.status).where(Order.id == order_id).with_for_update())
        if status is None:
            raise NotFound()
        if status not in REFUNDABLE_STATES:
            raise Conflict("order_not_refundable")


def refund_lines_of_orders(
    *,
    requests: Mapping[int, Sequence[tuple[int, int]]],
    reason: RefundReason,
    actor: str,
    now: datetime,
    strict: bool = False,
    amounts: Mapping[int, Sequence[tuple[int, int]]] | None = None,
) -> list[OrderRefundOutcome]:
    """refund_lines for many orders at once ({order_id: [(line_id, quantity)]}); callers hold the order rows.

    Not strict (the jobs): orders no longer refundable and units already refunded are skipped.
    Strict (a person asked): either of those is refused and nothing changes.
    """
    if not requests:
        return []
    amounts = amounts or {}
    with transaction():
        orders = {r.id: r for r in db.session.execute(select(*ORDER_COLUMNS).where(Order.id.in_(sorted(requests))))}
        lines_of: dict[int, list[Any]] = defaultdict(list)
        for line in db.session.execute(
            select(*LINE_COLUMNS).where(OrderLine.order_id.in_(list(orders))).order_by(OrderLine.id)
        ):
            lines_of[line.order_id].append(line)
        plans = []
        for order_id in sorted(requests):
            order = orders.get(order_id)
            if order is None or order.status not in REFUNDABLE_STATES:
                if strict:
                    raise Conflict("order_not_refundable")
                continue
            plan = plan_refund(order, lines_of[order_id], requests[order_id], reason, strict, amounts.get(order_id, ()))
            if plan is not None:
                plans.append(plan)
        return _apply(plans, reason=reason, actor=actor, now=now)


_LINES = cast(Table, OrderLine.__table__)
_ORDERS = cast(Table, Order.__table__)
_REFUNDS = cast(Table, OrderRefund.__table__)
_REFUND_LINES = cast(Table, OrderRefundLine.__table__)
_TIMELINE = cast(Table, OrderTimelineEvent.__table__)


def _apply(plans: list[RefundPlan], *, reason: RefundReason, actor: str, now: datetime) -> list[OrderRefundOutcome]:
    """Write the planned refunds: a fixed number of statements however many orders (each guarded on its state).

    An order left with no active unit moves to refunding in the same guarded UPDATE; its last line's timeline row
    is that transition (GROUP_FAIL, CANCEL or REFUND), the other lines' rows are LINE_REFUND (no move).
    """
    if not plans:
        return []
    target = {
        p.order.id: _whole_order_event(p.order.status, reason) if p.whole_order and p.units else None for p in plans
    }
    refund_of = dict(
        insert_many(
            _REFUNDS,
            [
                {
                    "order_id": p.order.id,
                    "reason": reason,
                    "amount_fen": p.amount_fen,
                    "delivery_fee_fen": p.delivery_fee_fen,
                    "actor": actor[:40],
                    "created_at": now,
                    "refunded_at": None,
                }
                for p in plans
            ],
            returning=["order_id", "id"],
        )
    )
    insert_many(
        _REFUND_LINES,
        [
            {"order_refund_id": refund_of[p.order.id], "line_id": line.id, "quantity": quantity, "amount_fen": fen}
            for p in plans
            for line, quantity, fen in [(u[0], u[1], u[2]) for u in p.units] + [(k, 0, f) for k, f in p.kept]
        ],
    )
    _guarded(
        _LINES,
        [
            (
                {"id": line.id, "refunded_quantity": line.refunded_quantity, "refunded_fen": line.refunded_fen},
                {
                    "refunded_quantity": line.refunded_quantity + quantity,
                    "refunded_fen": line.refunded_fen + fen,
                    "kept_refund_fen": line.kept_refund_fen + kept_delta,
                    "status": (
                        LineStatus.ACTIVE if line.refunded_quantity + quantity < line.quantity else LineStatus.REFUNDING
                    ),
                    "refund_reason": reason,
                },
            )
            for p in plans
            for line, quantity, fen, kept_delta in [(u[0], u[1], u[2], -u[3]) for u in p.units]
            + [(k, 0, f, f) for k, f in p.kept]
        ],
    )
    _guarded(
        _ORDERS,
        [
            (
                {"id": p.order.id, "refund_due_fen": p.order.refund_due_fen, "status": p.order.status},
                {
                    "status": OrderStatus.REFUNDING if target[p.order.id] else p.order.status,
                    "items_fen": p.order.items_fen - sum(u[0].unit_price_fen * u[1] for u in p.units),
                    "discount_fen": p.order.discount_fen - p.discount_back_fen,
                    "delivery_fee_fen": p.order.delivery_fee_fen - p.delivery_fee_fen,
                    "payable_fen": p.order.payable_fen - p.amount_fen,
                    "refund_due_fen": p.order.refund_due_fen + p.amount_fen,
                    "updated_at": now,
                },
            )
            for p in plans
        ],
    )
    release_line_units(
        [
            LineUnits(user_id=p.order.user_id, deal_id=line.deal_id, group_id=line.group_id, quantity=quantity)
            for p in plans
            for line, quantity, _, _ in p.units
        ],
        paid=True,
    )
    insert_many(_TIMELINE, [row for p in plans for row in _timeline(p, target[p.order.id], reason, actor, now)])
    for p in plans:  # units an earlier amount for kept goods already paid for: nothing is owed, settled now
        if p.amount_fen == 0:
            order_refund_done(order_refund_id=refund_of[p.order.id], now=now)
    return [
        OrderRefundOutcome(
            order_id=p.order.id,
            user_id=p.order.user_id,
            order_no=p.order.order_no,
            order_refund_id=refund_of[p.order.id],
            amount_fen=p.amount_fen,
            delivery_fee_fen=p.delivery_fee_fen,
            lines=tuple(
                RefundedLine(
                    line_id=line.id,
                    group_id=line.group_id,
                    product_name=line.product_name,
                    quantity=quantity,
                    amount_fen=fen,
                )
                for line, quantity, fen in [(u[0], u[1], u[2]) for u in p.units] + [(k, 0, f) for k, f in p.kept]
            ),
            whole_order=p.whole_order and bool(p.units),
            status=OrderStatus.REFUNDING if target[p.order.id] else p.order.status,
        )
        for p in plans
    ]


def _whole_order_event(status: OrderStatus, reason: RefundReason) -> OrderEvent:
    """The transition of an order whose last active unit is refunded: by reason where it may start here."""
    event = WHOLE_ORDER_EVENT.get(reason, OrderEvent.REFUND)
    return event if next_status(event, status) is OrderStatus.REFUNDING else OrderEvent.REFUND


def _timeline(
    plan: RefundPlan, move: OrderEvent | None, reason: RefundReason, actor: str, now: datetime
) -> list[dict[str, Any]]:
    """One row per refunded line; an order moving to refunding gets the move on its last line's row."""
    rows = []
    for line, fen in plan.kept:
        rows.append(
            {
                "order_id": plan.order.id,
                "event": OrderEvent.LINE_REFUND,
                "from_status": plan.order.status,
                "to_status": plan.order.status,
                "actor": actor[:40],
                "note": f"{line.product_name} {REASON_TEXT[reason]}（商品保留），已退款 {yuan(fen)}"[:500],
                "at": now,
            }
        )
    for index, (line, quantity, fen, _) in enumerate(plan.units):
        last = move is not None and index == len(plan.units) - 1
        rows.append(
            {
                "order_id": plan.order.id,
                "event": move if last else OrderEvent.LINE_REFUND,
                "from_status": plan.order.status,
                "to_status": OrderStatus.REFUNDING if last else plan.order.status,
                "actor": actor[:40],
                "note": f"{line.product_name} ×{quantity} {REASON_TEXT[reason]}，已退款 {yuan(fen)}"[:500],
                "at": now,
            }
        )
    return rows


def _guarded(table: Table, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Conditional UPDATEs of many rows; any row no longer as it was read means someone else moved it: undo all."""
    if update_many(table, rows) != len(rows):
        raise Conflict("order_changed")


def order_refund_done(*, order_refund_id: int, now: datetime) -> None:
    """The money of one order refund reached the shopper: its lines with nothing else pending become refunded."""
    with transaction():
        marked = db.session.execute(
            update(OrderRefund)
            .where(OrderRefund.id == order_refund_id, OrderRefund.refunded_at.is_(None))
            .values(refunded_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]  # already recorded (or unknown)
            return
        line_ids = select(OrderRefundLine.line_id).where(OrderRefundLine.order_refund_id == order_refund_id)
        still_owed = (
            select(OrderRefundLine.id)
            .join(OrderRefund, OrderRefund.id == OrderRefundLine.order_refund_id)
            .where(OrderRefundLine.line_id == OrderLine.id, OrderRefund.refunded_at.is_(None))
            .exists()
        )
        db.session.execute(
            update(OrderLine)
            .where(OrderLine.id.in_(line_ids), OrderLine.status == LineStatus.REFUNDING, ~still_owed)
            .values(status=LineStatus.REFUNDED)
            .execution_options(synchronize_session=False)
        )
