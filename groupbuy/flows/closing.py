"""Closing groups and settling their orders: groups past their cutoff close, and their orders follow.

Work is chosen from database state (not from the tick), so a late run catches up in one pass. A batch takes the
due groups of the next leaders (every due group of a leader in one batch: an order belongs to one leader), closes
them (the groups service's rule, set-based) and settles their orders in the same transaction: the lines of paid
orders that sit in a failed or cancelled group are refunded through refund_lines (the other lines of the same
orders carry on), unpaid orders of any closed group are cancelled and their units released. Each shopper gets one
notice per order and batch naming every line's outcome, each leader one digest. Orders a concurrent payment or
checkout held (skipped, never waited for) are picked up by the sweeps that follow, which look at line and group
state only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, Select, select

from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group
from groupbuy.groups.service import GroupClosure, claim_due_groups, close_groups
from groupbuy.leaders.models import Leader
from groupbuy.notifications.service import ClosedGroup, LineOutcome, notify_groups_closed, notify_orders_settled
from groupbuy.orders.enums import LineStatus, OrderEvent, OrderStatus, RefundReason
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.service.bulk import (
    SYSTEM,
    claim_orders,
    drain,
    in_group_where,
    move_orders,
    release_units,
    releases_at_the_end,
)
from groupbuy.orders.service.line_refunds import REFUNDABLE_STATES, OrderRefundOutcome, refund_lines_of_orders

CLOSE_COUNTS = (
    "groups_succeeded",
    "groups_failed",
    "groups_cancelled",
    "notices",
    "orders_refunding",
    "orders_partly_refunded",
    "lines_refunded",
    "orders_cancelled",
)
REFUNDED_GROUPS = (GroupStatus.FAILED, GroupStatus.CANCELLED)
REASON_OF = {GroupStatus.FAILED: RefundReason.GROUP_FAILED, GroupStatus.CANCELLED: RefundReason.GROUP_CANCELLED}


def close_due_groups(*, now: datetime, limit: int, runners: int = 1) -> dict[str, int]:
    """Close every group past its cutoff and settle its orders; then sweep up orders left by a skip or a crash.

    ``runners`` > 1 (PostgreSQL) closes batches in that many threads at once, each with its own session and
    transaction: batches skip the groups and orders another runner holds (SKIP LOCKED), as two schedulers would.
    """
    counts: Counter[str] = Counter(dict.fromkeys(CLOSE_COUNTS, 0))
    if runners > 1:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # the real app, for the threads

        def runner() -> Counter[str]:
            with app.app_context():
                try:
                    return _close_batches(now=now, limit=limit)
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(max_workers=runners, thread_name_prefix="close-groups") as pool:
            for done in [pool.submit(runner) for _ in range(runners)]:
                counts.update(done.result())
    else:
        counts.update(_close_batches(now=now, limit=limit))
    after = 0
    while True:  # sweep: active lines of paid orders still sitting in failed or cancelled groups
        batch, last = refund_lines_of_closed_groups_batch(now=now, after_id=after, limit=limit)
        counts.update(batch)
        if last is None:
            break
        after = last
    counts["orders_cancelled"] += drain(cancel_unpaid_of_closed_groups_batch, now=now, limit=limit)
    return dict(counts)


def _close_batches(*, now: datetime, limit: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    after = 0
    while True:
        batch, last = close_due_group_batch(now=now, after_leader_id=after, limit=limit)
        counts.update(batch)
        if last is None:
            return counts
        after = last


def close_due_group_batch(*, now: datetime, after_leader_id: int, limit: int) -> tuple[Counter[str], int | None]:
    """Close the due groups of the next leaders (close_groups' rule), settle their orders line by line, notify."""
    counts: Counter[str] = Counter()
    with transaction(), releases_at_the_end():
        due = claim_due_groups(now=now, after_leader_id=after_leader_id, limit=limit)
        if not due:
            return counts, None
        closures = close_groups(group_ids=due, now=now, actor=SYSTEM)
        counts.update(f"groups_{c.status.value}" for c in closures)
        status_of = {c.group_id: c.status for c in closures}
        outcomes: list[OrderRefundOutcome] = []
        for status in REFUNDED_GROUPS:
            outcomes += _refund_lines_in([g for g, s in status_of.items() if s is status], REASON_OF[status], now)
        counts.update(_count(outcomes))
        counts["notices"] += notify_groups_closed(groups=_describe(closures), now=now)
        counts["notices"] += notify_orders_settled(
            outcomes=_settled(list(status_of), outcomes), delivery_fees=_fees(outcomes), now=now
        )
        every = Order.id.in_(_orders_of(list(status_of)))
        counts["orders_cancelled"] += drain(_cancel_unpaid, scope=every, now=now, limit=limit)
        leader = db.session.scalar(select(Group.leader_id).where(Group.id == due[-1]))
        return counts, leader


def _fees(outcomes: list[OrderRefundOutcome]) -> dict[int, int]:
    return {o.order_id: o.delivery_fee_fen for o in outcomes if o.delivery_fee_fen}


def _count(outcomes: list[OrderRefundOutcome]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        counts["orders_refunding" if outcome.whole_order else "orders_partly_refunded"] += 1
        counts["lines_refunded"] += len(outcome.lines)
    return counts


def _refund_lines_in(group_ids: list[int], reason: RefundReason, now: datetime) -> list[OrderRefundOutcome]:
    """Refund every active unit of paid orders in these groups (orders another transaction holds are skipped,
    for the sweep). The batch's groups are bounded (about JOB_BATCH_SIZE): their orders are taken in one go."""
    if not group_ids:
        return []
    in_groups = select(OrderLine.order_id).where(
        OrderLine.group_id.in_(group_ids), OrderLine.status == LineStatus.ACTIVE
    )  # a semi-join from the groups' lines: the batch's orders, not a probe per order in the table
    query = select(Order.id).where(Order.status.in_(REFUNDABLE_STATES), Order.id.in_(in_groups)).order_by(Order.id)
    claimed = [r.id for r in claim_orders(query, None)]
    if not claimed:
        return []
    requests: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for order_id, line_id, remaining in db.session.execute(
        select(OrderLine.order_id, OrderLine.id, OrderLine.quantity - OrderLine.refunded_quantity).where(
            OrderLine.order_id.in_(claimed),
            OrderLine.group_id.in_(group_ids),
            OrderLine.status == LineStatus.ACTIVE,
        )
    ):
        requests[order_id].append((line_id, remaining))
    return refund_lines_of_orders(requests=requests, reason=reason, actor=SYSTEM, now=now)


def _describe(rows: list[GroupClosure]) -> list[ClosedGroup]:
    """What the leaders' digests need about each group the groups service just closed."""
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
            status=r.status.value,
        )
        for r in rows
    ]


def _settled(group_ids: list[int], outcomes: list[OrderRefundOutcome]) -> list[LineOutcome]:
    """Every paid line in these just-closed groups, with what happened to it (refunded now, or carrying on)."""
    refunded = {line.line_id: line.amount_fen for o in outcomes for line in o.lines}
    rows = db.session.execute(
        select(
            OrderLine.id,
            OrderLine.order_id,
            Order.user_id,
            Order.order_no,
            OrderLine.product_name,
            OrderLine.quantity,
            OrderLine.pickup_date,
            OrderLine.status.label("line_status"),
            Group.status,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Group, Group.id == OrderLine.group_id)
        .where(OrderLine.group_id.in_(group_ids), Order.paid_at.is_not(None))
        .order_by(OrderLine.order_id, OrderLine.id)
    ).all()
    return [
        LineOutcome(
            order_id=r.order_id,
            user_id=r.user_id,
            order_no=r.order_no,
            product_name=r.product_name,
            quantity=r.quantity,
            pickup_date=r.pickup_date,
            group_status=r.status.value,
            refunded_fen=refunded.get(r.id),
        )
        for r in rows
        if (r.status is GroupStatus.SUCCEEDED and r.line_status is LineStatus.ACTIVE) or r.id in refunded
    ]


def _orders_of(group_ids: list[int]) -> Select[int]:
    return select(OrderLine.order_id).where(OrderLine.group_id.in_(group_ids))


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


def refund_lines_of_closed_groups_batch(*, now: datetime, after_id: int, limit: int) -> tuple[Counter[str], int | None]:
    """Sweep: active lines of paid orders in any failed or cancelled group → refunded (one transaction per batch)."""
    counts: Counter[str] = Counter()
    with transaction():
        groups = in_group_where(Group.status.in_(REFUNDED_GROUPS) & (OrderLine.status == LineStatus.ACTIVE))
        claimed = claim_orders(
            select(Order.id).where(Order.status.in_(REFUNDABLE_STATES), Order.id > after_id, groups).order_by(Order.id),
            limit,
        )
        if not claimed:
            return counts, None
        ids = [r.id for r in claimed]
        lines = db.session.execute(
            select(OrderLine.order_id, OrderLine.id, OrderLine.quantity - OrderLine.refunded_quantity, Group.status)
            .join(Group, Group.id == OrderLine.group_id)
            .where(
                OrderLine.order_id.in_(ids),
                OrderLine.status == LineStatus.ACTIVE,
                Group.status.in_(REFUNDED_GROUPS),
            )
        ).all()
        outcomes: list[OrderRefundOutcome] = []
        for status in REFUNDED_GROUPS:
            requests: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for order_id, line_id, remaining, group_status in lines:
                if group_status is status:
                    requests[order_id].append((line_id, remaining))
            outcomes += refund_lines_of_orders(requests=requests, reason=REASON_OF[status], actor=SYSTEM, now=now)
        counts.update(_count(outcomes))
        refunded_groups = sorted({line.group_id for o in outcomes for line in o.lines})
        counts["notices"] += notify_orders_settled(
            outcomes=_settled(refunded_groups, outcomes), delivery_fees=_fees(outcomes), now=now
        )
        return counts, ids[-1]


def cancel_unpaid_of_closed_groups_batch(*, now: datetime, after_id: int, limit: int) -> tuple[int, int | None]:
    """Sweep: unpaid orders with a line in any group that left `open` → cancelled (one transaction per batch)."""
    with transaction():
        scope = in_group_where(Group.status != GroupStatus.OPEN)
        return _cancel_unpaid(scope=scope, now=now, after_id=after_id, limit=limit)
