"""Order sweeps for the scheduled jobs: unpaid orders past their window expire, received orders complete.

Work is chosen from database state (not from the tick), so a late run catches up in one pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from groupbuy.db import transaction
from groupbuy.membership.service import recompute_tiers
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.orders.service.bulk import claim_orders, drain, move_orders
from groupbuy.orders.service.lifecycle import expire_order


def expire_due_orders(*, now: datetime, limit: int) -> dict[str, int]:
    """Cancel every unpaid order whose payment window has passed."""
    return {"orders_expired": drain(expire_due_order_batch, now=now, limit=limit)}


def auto_confirm_receipts(*, now: datetime, days: int, limit: int) -> dict[str, int]:
    """Complete every order picked up or delivered at least ``days`` ago that nobody confirmed."""
    return {"orders_completed": drain(auto_confirm_batch, now=now, days=days, limit=limit)}


def expire_due_order_batch(*, now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Unpaid orders past their payment window → cancelled through expire_order (stock and limits back once)."""
    with transaction():
        claimed = claim_orders(
            select(Order.id)
            .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.pay_before <= now, Order.id > after_id)
            .order_by(Order.id),
            limit,
        )
        expired = sum(1 for r in claimed if expire_order(order_id=r.id, now=now) is not None)
        return expired, claimed[-1].id if claimed else None


def auto_confirm_batch(*, now: datetime, days: int, after_id: int, limit: int) -> tuple[int, int | None]:
    """Orders picked up / delivered ``days`` ago (by their timeline) → completed (CONFIRM_RECEIPT by system)."""
    reached = exists(
        select(OrderTimelineEvent.id).where(
            OrderTimelineEvent.order_id == Order.id,
            OrderTimelineEvent.to_status == Order.status,
            OrderTimelineEvent.at <= now - timedelta(days=days),
        )
    )
    received = (OrderStatus.PICKED_UP, OrderStatus.DELIVERED)
    with transaction():
        claimed = claim_orders(
            select(Order.id, Order.status)
            .where(Order.status.in_(received), Order.id > after_id, reached)
            .order_by(Order.id),
            limit,
        )
        completed = []
        for status in received:
            completed += move_orders(
                order_ids=[r.id for r in claimed if r.status is status],
                event=OrderEvent.CONFIRM_RECEIPT,
                from_status=status,
                now=now,
                note=f"receipt confirmed automatically after {days} days",
                values={"closed_at": now},
            )
        recompute_tiers(user_ids=[facts.user_id for facts in completed], now=now)  # completed orders lift tiers
        return len(completed), claimed[-1].id if claimed else None
