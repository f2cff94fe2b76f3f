"""After-sale money: what a request may still get back, and granting it through the line-level refund entry point
(orders.refund_lines) and the payments refund door (recorded in the same transaction, sent once it commits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from groupbuy.aftersales.models import AfterSaleItem
from groupbuy.db import transaction
from groupbuy.errors import Conflict
from groupbuy.orders import service as orders
from groupbuy.orders.enums import RefundReason
from groupbuy.payments import service as payments
from groupbuy.payments.enums import RefundSource

REFUND_TEXT = "售后退款"


@dataclass(frozen=True)
class Grant:
    order_refund_id: int | None
    refund_id: int | None  # the provider refund to send once the transaction has committed
    amount_fen: int


def _units(items: Sequence[AfterSaleItem]) -> list[tuple[int, int]]:
    return [(i.order_line_id, i.quantity) for i in items if i.quantity]


def refundable_fen(*, order_id: int, items: Sequence[AfterSaleItem]) -> int:
    """The most these items may still get back now: their units' price plus amounts for the goods kept, or amounts
    for every line's goods kept (a partial refund without return), whichever is more."""
    figures = orders.refundable_lines(order_id=order_id)
    units = _units(items)
    try:
        units_fen = orders.price_units(order_id=order_id, lines=units) if units else 0
    except Conflict:  # those units were refunded meanwhile
        units_fen = -1
    kept_lines = [i.order_line_id for i in items if not i.quantity]
    with_units = units_fen + sum(figures[line].kept_fen for line in kept_lines) if units_fen >= 0 else 0
    all_kept = sum(figures[i.order_line_id].kept_fen for i in items)
    return max(with_units, all_kept, 0)


def grant_refund(*, order_id: int, items: Sequence[AfterSaleItem], amount_fen: int, actor: str, now: datetime) -> Grant:
    """Refund ``amount_fen`` for these items, inside the caller's transaction (the order row held throughout).

    The units asked back are refunded at their price and the rest is an amount for the goods kept; an amount below
    the units' price is refunded as amounts for goods kept on every line. More than refundable: 409
    ``refund_exceeds_refundable`` and nothing changes."""
    if amount_fen == 0:
        return Grant(order_refund_id=None, refund_id=None, amount_fen=0)
    with transaction():
        orders.lock_refundable_order(order_id=order_id)
        figures = orders.refundable_lines(order_id=order_id)
        units = _units(items)
        units_fen = orders.price_units(order_id=order_id, lines=units) if units else 0
        if units and amount_fen >= units_fen:
            kept = _spread(amount_fen - units_fen, [i.order_line_id for i in items if not i.quantity], figures)
        else:
            units, kept = [], _spread(amount_fen, [i.order_line_id for i in items], figures)
        outcome = orders.refund_lines(
            order_id=order_id, lines=units, amounts=kept, reason=RefundReason.AFTER_SALE, actor=actor, now=now
        )
        refund_id = None
        if outcome.amount_fen > 0:
            refund = payments.request_refund(
                order_id=order_id,
                amount_fen=outcome.amount_fen,
                reason=REFUND_TEXT,
                source=RefundSource.AFTER_SALE,
                now=now,
                actor=actor,
                request_key=f"order_refund:{outcome.order_refund_id}",  # the same key the due-refunds job uses
                order_refund_id=outcome.order_refund_id,
            )
            refund_id = refund.id
        return Grant(order_refund_id=outcome.order_refund_id, refund_id=refund_id, amount_fen=outcome.amount_fen)


def send_refund(grant: Grant, *, now: datetime) -> None:
    """Ask the provider now that the refund is committed (retry_refunds takes over on any failure)."""
    if grant.refund_id is not None:
        payments.submit_refund(refund_id=grant.refund_id, now=now)


def _spread(fen: int, line_ids: list[int], figures: dict[int, orders.LineRefundable]) -> list[tuple[int, int]]:
    """``fen`` as amounts for goods kept, line by line up to what each may still take."""
    amounts = []
    for line_id in line_ids:
        take = min(fen, figures[line_id].kept_fen)
        if take > 0:
            amounts.append((line_id, take))
            fen -= take
    if fen > 0:
        raise Conflict("refund_exceeds_refundable")
    return amounts
