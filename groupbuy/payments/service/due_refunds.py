"""Refunds owed and refunds to retry: the orders hand-off (refund_due_fen) honoured, failed attempts never dropped."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select

from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import DomainError
from groupbuy.orders.enums import OrderStatus, RefundReason
from groupbuy.orders.models import Order, OrderRefund
from groupbuy.orders.service import finish_refunding_order
from groupbuy.payments.enums import RefundSource, RefundState
from groupbuy.payments.models import Payment, Refund
from groupbuy.payments.service.refunds import OPEN_STATES, refund

log = structlog.get_logger(__name__)


SOURCE_OF = {
    RefundReason.GROUP_FAILED: RefundSource.GROUP_FAILED,
    RefundReason.GROUP_CANCELLED: RefundSource.GROUP_FAILED,
    RefundReason.ORDER_CANCELLED: RefundSource.CANCELLATION,
    RefundReason.SHORTAGE: RefundSource.SHORTAGE,
    RefundReason.AFTER_SALE: RefundSource.AFTER_SALE,
}
REASON_TEXT = {
    RefundReason.GROUP_FAILED: "拼团未成功，款项原路退回",
    RefundReason.GROUP_CANCELLED: "拼团已取消，款项原路退回",
    RefundReason.ORDER_CANCELLED: "订单取消，款项原路退回",
    RefundReason.SHORTAGE: "商品缺货，款项原路退回",
    RefundReason.AFTER_SALE: "售后退款",
}


def process_due_refunds(*, now: datetime, limit: int = 200) -> dict[str, int]:
    """Every order refund (orders' ledger) gets exactly one provider refund of its amount, keyed by its id;
    refunding orders whose money is all back are finished."""
    with transaction():
        owed = db.session.execute(
            select(OrderRefund.id, OrderRefund.order_id, OrderRefund.amount_fen, OrderRefund.reason, Payment.id)
            .join(Payment, (Payment.order_id == OrderRefund.order_id) & Payment.applied_to_order)
            .where(
                OrderRefund.refunded_at.is_(None),
                ~select(Refund.id).where(Refund.order_refund_id == OrderRefund.id).exists(),
            )
            .order_by(OrderRefund.id)
            .limit(limit)
        ).all()
        finished = list(
            db.session.scalars(
                select(Order.id).where(
                    Order.status == OrderStatus.REFUNDING, Order.refunded_fen >= Order.refund_due_fen
                )
            )
        )
    counts = {"requested": 0, "refused": 0, "finished": 0}
    for order_refund_id, order_id, amount_fen, reason, payment_id in owed:
        try:
            refund(
                payment_id=payment_id,
                amount_fen=amount_fen,
                reason=REASON_TEXT[reason],
                source=SOURCE_OF[reason],
                now=now,
                request_key=f"order_refund:{order_refund_id}",
                order_refund_id=order_refund_id,
            )
            counts["requested"] += 1
        except DomainError as exc:
            log.warning("due_refund_refused", order_id=order_id, error_code=exc.code)
            counts["refused"] += 1
    for order_id in finished:
        if finish_refunding_order(order_id=order_id, now=now).status is OrderStatus.REFUNDED:
            counts["finished"] += 1
    return counts


def refunds_due_for_retry(*, now: datetime, limit: int = 200) -> list[int]:
    """Open refunds whose next attempt is due (pending, failed and still-processing ones), oldest first."""
    with transaction():
        return list(
            db.session.scalars(
                select(Refund.id)
                .where(Refund.status.in_(OPEN_STATES), Refund.next_attempt_at <= now)
                .order_by(Refund.next_attempt_at, Refund.id)
                .limit(limit)
            )
        )


def list_refunds(*, status: RefundState | None, page: int, page_size: int) -> Page[Refund]:
    """Customer service's refund queue, oldest first; ?status=failed shows the ones that need a human."""
    query = select(Refund)
    if status is not None:
        query = query.where(Refund.status == status)
    return paginate(query.order_by(Refund.created_at, Refund.id), page=page, page_size=page_size)
