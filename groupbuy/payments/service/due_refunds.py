"""Refunds owed and refunds to retry: the orders hand-off (refund_due_fen) honoured, failed attempts never dropped."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select

from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import DomainError
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.orders.service import finish_refunding_order
from groupbuy.payments.enums import RefundSource, RefundState
from groupbuy.payments.models import Payment, Refund
from groupbuy.payments.service.refunds import OPEN_STATES, refund

log = structlog.get_logger(__name__)


def process_due_refunds(*, now: datetime, limit: int = 200) -> dict[str, int]:
    """Every refunding order owed more than has been requested gets a refund for the difference (one per amount due)."""
    with transaction():
        owed = db.session.execute(
            select(Order.id, Order.refund_due_fen, Payment.id, Payment.refunded_fen)
            .join(Payment, (Payment.order_id == Order.id) & Payment.applied_to_order)
            .where(Order.status == OrderStatus.REFUNDING, Order.refund_due_fen > Payment.refunded_fen)
            .order_by(Order.id)
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
    for order_id, due_fen, payment_id, requested_fen in owed:
        try:
            refund(
                payment_id=payment_id,
                amount_fen=due_fen - requested_fen,
                reason="订单取消或拼团失败，款项原路退回",
                source=_source_of(order_id),
                now=now,
                request_key=f"due:{order_id}:{due_fen}",
            )
            counts["requested"] += 1
        except DomainError as exc:
            log.warning("due_refund_refused", order_id=order_id, error_code=exc.code)
            counts["refused"] += 1
    for order_id in finished:
        if finish_refunding_order(order_id=order_id, now=now).status is OrderStatus.REFUNDED:
            counts["finished"] += 1
    return counts


def _source_of(order_id: int) -> RefundSource:
    with transaction():
        group_failed = db.session.scalar(
            select(OrderTimelineEvent.id).where(
                OrderTimelineEvent.order_id == order_id,
                OrderTimelineEvent.event == OrderEvent.GROUP_FAIL,
                OrderTimelineEvent.to_status == OrderStatus.REFUNDING,
            )
        )
    return RefundSource.GROUP_FAILED if group_failed is not None else RefundSource.CANCELLATION


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
