"""Closing in bulk, for the scheduled jobs: groups past their cutoff and their orders, expiry, auto-confirm.

Work is chosen from database state (not from the tick), so a late run catches up in one pass. A batch of
due groups is closed (groups' close_group rule, set-based) and its orders are settled in the same transaction: paid
orders of a failed group go to refunding with the whole amount due (the hand-off to payments), unpaid
orders of any closed group are cancelled, their units released. Orders a concurrent payment or checkout
held (skipped, never waited for) are picked up by the sweeps that follow, which look at order state only.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, exists, select

from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group
from groupbuy.groups.service import GroupClosure, claim_due_groups, close_groups
from groupbuy.leaders.models import Leader
from groupbuy.notifications.service import ClosedGroup, GroupMember, notify_groups_closed
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.orders.service.bulk import SYSTEM, claim_orders, drain, in_group_where, move_orders, release_units
from groupbuy.orders.service.lifecycle import expire_order

CLOSE_COUNTS = ("groups_succeeded", "groups_failed", "notices", "orders_refunding", "orders_cancelled")


def close_due_groups(*, now: datetime, limit: int) -> dict[str, int]:
    """Close every group past its cutoff and settle its orders; then sweep up orders left by a skip or a crash."""
    counts: Counter[str] = Counter(dict.fromkeys(CLOSE_COUNTS, 0))
    after = 0
    while True:
        batch, last = close_due_group_batch(now=now, after_id=after, limit=limit)
        counts.update(batch)
        if last is None:
            break
        after = last
    counts["orders_refunding"] += drain(refund_failed_group_batch, now=now, limit=limit)
    counts["orders_cancelled"] += drain(cancel_unpaid_of_closed_groups_batch, now=now, limit=limit)
    return dict(counts)


def expire_due_orders(*, now: datetime, limit: int) -> dict[str, int]:
    """Cancel every unpaid order whose payment window has passed."""
    return {"orders_expired": drain(expire_due_order_batch, now=now, limit=limit)}


def auto_confirm_receipts(*, now: datetime, days: int, limit: int) -> dict[str, int]:
    """Complete every order picked up or delivered at least ``days`` ago that nobody confirmed."""
    return {"orders_completed": drain(auto_confirm_batch, now=now, days=days, limit=limit)}


def close_due_group_batch(*, now: datetime, after_id: int, limit: int) -> tuple[Counter[str], int | None]:
    """Close the next open groups past their deal's cutoff (close_group's rule), settle their orders, notify."""
    counts: Counter[str] = Counter()
    with transaction():
        due = claim_due_groups(now=now, after_id=after_id, limit=limit)
        if not due:
            return counts, None
        closed = _describe(close_groups(group_ids=due, now=now, actor=SYSTEM))
        counts.update(f"groups_{'succeeded' if g.succeeded else 'failed'}" for g in closed)
        counts["notices"] += notify_groups_closed(groups=closed, members=_members(closed), now=now)
        failed = Order.id.in_(_orders_of([g.group_id for g in closed if not g.succeeded]))
        every = Order.id.in_(_orders_of([g.group_id for g in closed]))
        counts["orders_refunding"] += drain(_refund, scope=failed, now=now, limit=limit)
        counts["orders_cancelled"] += drain(_cancel_unpaid, scope=every, now=now, limit=limit)
        return counts, due[-1]


def _describe(rows: list[GroupClosure]) -> list[ClosedGroup]:
    """What the notices need about each group the groups service just closed."""
    if not rows:
        return []
    deal_of = {
        d.id: d
        for d in db.session.execute(
            select(Deal.id, Deal.title, Deal.pickup_date, Deal.min_group_quantity).where(
                Deal.id.in_({r.deal_id for r in rows})
            )
        )
    }
    leaders = dict(
        db.session.execute(select(Leader.id, Leader.user_id).where(Leader.id.in_({r.leader_id for r in rows}))).all()
    )
    return [
        ClosedGroup(
            group_id=r.group_id,
            leader_user_id=leaders[r.leader_id],
            deal_title=deal_of[r.deal_id].title,
            pickup_date=deal_of[r.deal_id].pickup_date,
            units_paid=r.units_paid,
            threshold=deal_of[r.deal_id].min_group_quantity,
            succeeded=r.status is GroupStatus.SUCCEEDED,
        )
        for r in rows
    ]


def _orders_of(group_ids: list[int]) -> Select[int]:
    return select(OrderLine.order_id).where(OrderLine.group_id.in_(group_ids))


def _members(closed: list[ClosedGroup]) -> list[GroupMember]:
    succeeded = [g.group_id for g in closed if g.succeeded]
    if not succeeded:
        return []
    rows = db.session.execute(
        select(OrderLine.group_id, Order.id, Order.user_id, Order.order_no)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.group_id.in_(succeeded), Order.status == OrderStatus.PAID)
    ).all()
    return [GroupMember(group_id=g, order_id=o, user_id=u, order_no=n) for g, o, u, n in rows]


def _refund(*, scope: ColumnElement[bool], now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Paid orders in ``scope`` → refunding with the whole paid amount due (GROUP_FAIL); units released."""
    claimed = claim_orders(
        select(Order.id).where(Order.status == OrderStatus.PAID, Order.id > after_id, scope).order_by(Order.id), limit
    )
    if not claimed:
        return 0, None
    moved = move_orders(
        order_ids=[r.id for r in claimed],
        event=OrderEvent.GROUP_FAIL,
        from_status=OrderStatus.PAID,
        now=now,
        note="group failed: refund in full",
        values={"refund_due_fen": Order.paid_fen},
    )
    release_units([m.order_id for m in moved], paid=True)
    return len(moved), claimed[-1].id


def _cancel_unpaid(*, scope: ColumnElement[bool], now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Unpaid orders in ``scope`` → cancelled: GROUP_FAIL if a group of theirs failed, else EXPIRE."""
    claimed = claim_orders(
        select(Order.id)
        .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.id > after_id, scope)
        .order_by(Order.id),
        limit,
    )
    if not claimed:
        return 0, None
    ids = [r.id for r in claimed]
    failed = set(
        db.session.scalars(
            select(OrderLine.order_id)
            .join(Group, Group.id == OrderLine.group_id)
            .where(OrderLine.order_id.in_(ids), Group.status == GroupStatus.FAILED)
        )
    )
    pending, closed_at = OrderStatus.PENDING_PAYMENT, {"closed_at": now}
    moved = move_orders(
        order_ids=sorted(failed), event=OrderEvent.GROUP_FAIL, from_status=pending, now=now, values=closed_at
    )
    moved += move_orders(
        order_ids=[i for i in ids if i not in failed],
        event=OrderEvent.EXPIRE,
        from_status=pending,
        now=now,
        note="group closed before payment",
        values=closed_at,
    )
    release_units([m.order_id for m in moved], paid=False)
    return len(moved), ids[-1]


def refund_failed_group_batch(*, now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Sweep: paid orders with a line in any failed group → refunding (one transaction per batch)."""
    with transaction():
        return _refund(
            scope=in_group_where(Group.status == GroupStatus.FAILED), now=now, after_id=after_id, limit=limit
        )


def cancel_unpaid_of_closed_groups_batch(*, now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Sweep: unpaid orders with a line in any group that left `open` → cancelled (one transaction per batch)."""
    with transaction():
        scope = in_group_where(Group.status != GroupStatus.OPEN)
        return _cancel_unpaid(scope=scope, now=now, after_id=after_id, limit=limit)


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
        done = 0
        for status in received:
            done += len(
                move_orders(
                    order_ids=[r.id for r in claimed if r.status is status],
                    event=OrderEvent.CONFIRM_RECEIPT,
                    from_status=status,
                    now=now,
                    note=f"receipt confirmed automatically after {days} days",
                    values={"closed_at": now},
                )
            )
        return done, claimed[-1].id if claimed else None
