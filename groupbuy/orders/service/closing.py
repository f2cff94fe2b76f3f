"""Closing in bulk, for the scheduled jobs: groups past their cutoff and their orders, expiry, auto-confirm.

Work is chosen from database state (not from the tick), so a late run catches up in one pass. Each batch
claims its rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so parallel runners split the work; SQLite runs one
job at a time under the job lock), moves orders with one conditional UPDATE per from-state, writes their
timeline rows in one INSERT and queues notices in bulk: no ORM object graph per order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, bindparam, exists, insert, select, update

from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group
from groupbuy.groups.service import close_group
from groupbuy.leaders.models import Leader
from groupbuy.notifications.service import (
    ClosedGroup,
    GroupMember,
    OrderFacts,
    notify_groups_closed,
    notify_order_events,
)
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent, UserDealPurchase
from groupbuy.orders.service.lifecycle import expire_order
from groupbuy.orders.states import next_status

SYSTEM = "system"
CLOSE_CHUNK = 50  # groups held in the session at once while close_group runs on each
CLOSE_COUNTS = ("groups_succeeded", "groups_failed", "notices", "orders_refunding", "orders_cancelled")


def _drain(batch: Callable[..., tuple[int, int | None]], **kwargs: Any) -> int:
    """Run a keyset-paged batch function until it finds nothing more; each batch is its own transaction."""
    total, after = 0, 0
    while True:
        done, last = batch(after_id=after, **kwargs)
        total += done
        if last is None:
            return total
        after = last


def close_due_groups(*, now: datetime, limit: int) -> dict[str, int]:
    """Close every group past its cutoff, then settle the orders of closed groups: refunds, then cancellations."""
    counts: Counter[str] = Counter(dict.fromkeys(CLOSE_COUNTS, 0))
    after = 0
    while True:
        batch, last = close_due_group_batch(now=now, after_id=after, limit=limit)
        counts.update(batch)
        if last is None:
            break
        after = last
    counts["orders_refunding"] += _drain(refund_failed_group_batch, now=now, limit=limit)
    counts["orders_cancelled"] += _drain(cancel_unpaid_of_closed_groups_batch, now=now, limit=limit)
    return dict(counts)


def expire_due_orders(*, now: datetime, limit: int) -> dict[str, int]:
    """Cancel every unpaid order whose payment window has passed."""
    return {"orders_expired": _drain(expire_due_order_batch, now=now, limit=limit)}


def auto_confirm_receipts(*, now: datetime, days: int, limit: int) -> dict[str, int]:
    """Complete every order picked up or delivered at least ``days`` ago that nobody confirmed."""
    return {"orders_completed": _drain(auto_confirm_batch, now=now, days=days, limit=limit)}


def move_orders(
    *,
    order_ids: Sequence[int],
    event: OrderEvent,
    from_status: OrderStatus,
    now: datetime,
    note: str | None = None,
    values: dict[str, Any] | None = None,
) -> list[OrderFacts]:
    """The bulk form of transition(): one conditional UPDATE from one state, a timeline row per moved order."""
    target = next_status(event, from_status)
    if target is None:
        raise ValueError(f"{event.value} cannot start from {from_status.value}")
    if not order_ids:
        return []
    rows = db.session.execute(
        update(Order)
        .where(Order.id.in_(order_ids), Order.status == from_status)
        .values(status=target, updated_at=now, **(values or {}))
        .returning(
            Order.id,
            Order.user_id,
            Order.order_no,
            Order.paid_fen,
            Order.refund_due_fen,
            Order.refunded_fen,
            Order.pickup_code,
            Order.pickup_date,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return []
    db.session.execute(
        insert(OrderTimelineEvent),
        [
            {
                "order_id": r.id,
                "event": event,
                "from_status": from_status,
                "to_status": target,
                "actor": SYSTEM,
                "note": note,
                "at": now,
            }
            for r in rows
        ],
    )
    facts = [
        OrderFacts(
            order_id=r.id,
            user_id=r.user_id,
            order_no=r.order_no,
            paid_fen=r.paid_fen,
            refund_due_fen=r.refund_due_fen,
            refunded_fen=r.refunded_fen,
            pickup_code=r.pickup_code,
            pickup_date=r.pickup_date,
        )
        for r in rows
    ]
    notify_order_events(facts=facts, event=event, now=now)
    return facts


def release_units(order_ids: Sequence[int], *, paid: bool) -> None:
    """Give back stock, per-user limits and group counts of these (just moved) orders, summed per row.

    The same conditional arithmetic as catalog's release_deal_stock and groups' release_group_units, done
    as one executemany per table (CHECKs keep stock within the allocation and counters non-negative).
    Locks are taken in checkout's order (purchases, deals, groups), each sorted, so runners never deadlock.
    """
    if not order_ids:
        return
    per_purchase: Counter[tuple[int, int]] = Counter()
    per_deal: Counter[int] = Counter()
    per_group: Counter[int] = Counter()
    for user_id, deal_id, group_id, quantity in db.session.execute(
        select(Order.user_id, OrderLine.deal_id, OrderLine.group_id, OrderLine.quantity)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.order_id.in_(order_ids))
    ).all():
        per_purchase[(user_id, deal_id)] += quantity
        per_deal[deal_id] += quantity
        per_group[group_id] += quantity
    purchases, deals, groups = (cast(Table, m.__table__) for m in (UserDealPurchase, Deal, Group))
    db.session.execute(
        update(purchases)
        .where(purchases.c.user_id == bindparam("b_user"), purchases.c.deal_id == bindparam("b_deal"))
        .values(quantity=purchases.c.quantity - bindparam("b_qty")),
        [{"b_user": u, "b_deal": d, "b_qty": q} for (u, d), q in sorted(per_purchase.items())],
    )
    db.session.execute(
        update(deals)
        .where(deals.c.id == bindparam("b_id"))
        .values(stock_available=deals.c.stock_available + bindparam("b_qty")),
        [{"b_id": d, "b_qty": q} for d, q in sorted(per_deal.items())],
    )
    group_values = {"units_reserved": groups.c.units_reserved - bindparam("b_qty")}
    if paid:
        group_values["units_paid"] = groups.c.units_paid - bindparam("b_qty")
    db.session.execute(
        update(groups).where(groups.c.id == bindparam("b_id")).values(**group_values),
        [{"b_id": g, "b_qty": q} for g, q in sorted(per_group.items())],
    )


def _claim(query: Select[*tuple[Any, ...]], limit: int) -> list[Any]:
    """The next batch, locked for this runner; rows another runner holds are skipped (PostgreSQL)."""
    return list(db.session.execute(query.limit(limit).with_for_update(of=Order, skip_locked=True)).all())


def _in_group_where(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(
        select(OrderLine.id)
        .join(Group, Group.id == OrderLine.group_id)
        .where(OrderLine.order_id == Order.id, condition)
    )


def close_due_group_batch(*, now: datetime, after_id: int, limit: int) -> tuple[Counter[str], int | None]:
    """Close the next open groups past their deal's cutoff (close_group decides); tell leaders and members."""
    counts: Counter[str] = Counter()
    with transaction():
        due = db.session.execute(
            select(Group.id, Group.deal_id, Group.leader_id, Group.units_paid)
            .join(Deal, Deal.id == Group.deal_id)
            .where(Group.status == GroupStatus.OPEN, Deal.cutoff_at <= now, Group.id > after_id)
            .order_by(Group.id)
            .limit(limit)
            .with_for_update(of=Group, skip_locked=True)
        ).all()
        if not due:
            return counts, None
        deals = {d.id: d for d in db.session.scalars(select(Deal).where(Deal.id.in_({g.deal_id for g in due})))}
        leaders = dict(
            db.session.execute(select(Leader.id, Leader.user_id).where(Leader.id.in_({g.leader_id for g in due}))).all()
        )
        closed = []
        for start in range(0, len(due), CLOSE_CHUNK):
            chunk = due[start : start + CLOSE_CHUNK]
            # Loaded together so close_group finds each without a query; let go after, because every
            # ORM UPDATE re-evaluates its criteria against the groups held in the session.
            loaded = db.session.scalars(select(Group).where(Group.id.in_([g.id for g in chunk]))).all()
            for group in chunk:  # units_paid is exact: the row is locked (or SQLite's write lock is held)
                outcome = close_group(group_id=group.id, now=now)
                if outcome is None:
                    continue
                deal = deals[group.deal_id]
                closed.append(
                    ClosedGroup(
                        group_id=group.id,
                        leader_user_id=leaders[group.leader_id],
                        deal_title=deal.title,
                        pickup_date=deal.pickup_date,
                        units_paid=group.units_paid,
                        threshold=deal.min_group_quantity,
                        succeeded=outcome is GroupStatus.SUCCEEDED,
                    )
                )
                counts[f"groups_{outcome.value}"] += 1
            for entity in loaded:
                db.session.expunge(entity)
        counts["notices"] += notify_groups_closed(groups=closed, members=_members(closed), now=now)
        return counts, due[-1].id


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


def refund_failed_group_batch(*, now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Paid orders with a line in a failed group → refunding, the whole paid amount due (GROUP_FAIL)."""
    with transaction():
        claimed = _claim(
            select(Order.id)
            .where(
                Order.status == OrderStatus.PAID,
                Order.id > after_id,
                _in_group_where(Group.status == GroupStatus.FAILED),
            )
            .order_by(Order.id),
            limit,
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


def cancel_unpaid_of_closed_groups_batch(*, now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Unpaid orders with a line in a group that left `open` → cancelled (GROUP_FAIL if it failed, else EXPIRE)."""
    with transaction():
        claimed = _claim(
            select(Order.id)
            .where(
                Order.status == OrderStatus.PENDING_PAYMENT,
                Order.id > after_id,
                _in_group_where(Group.status != GroupStatus.OPEN),
            )
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


def expire_due_order_batch(*, now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Unpaid orders past their payment window → cancelled through expire_order (stock and limits back once)."""
    with transaction():
        claimed = _claim(
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
        claimed = _claim(
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
