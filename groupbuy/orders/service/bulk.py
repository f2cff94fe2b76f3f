"""Bulk order moves for the scheduled jobs: the set-based form of transition() and of releasing units.

A batch claims its rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so parallel runners split the work and
never wait on a row a checkout or payment holds), moves them with one conditional UPDATE per from-state,
writes their timeline rows in one INSERT and queues their notices in bulk: no ORM object graph per order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, bindparam, exists, insert, select, update

from groupbuy.catalog.service import release_stock_of_deals
from groupbuy.db import db
from groupbuy.groups.models import Group
from groupbuy.groups.service import release_units_of_groups
from groupbuy.notifications.service import OrderFacts, facts_of, notify_order_events
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent, UserDealPurchase
from groupbuy.orders.states import next_status

SYSTEM = "system"


def drain(batch: Callable[..., tuple[int, int | None]], **kwargs: Any) -> int:
    """Run a keyset-paged batch function (it returns done, last id) until it finds nothing more."""
    total, after = 0, 0
    while True:
        done, last = batch(after_id=after, **kwargs)
        total += done
        if last is None:
            return total
        after = last


def claim_orders(query: Select[*tuple[Any, ...]], limit: int) -> list[Any]:
    """The next batch, locked for this runner; rows another transaction holds are skipped (PostgreSQL)."""
    return list(db.session.execute(query.limit(limit).with_for_update(of=Order, skip_locked=True)).all())


def in_group_where(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """The order has a line in a group matching ``condition``."""
    return exists(
        select(OrderLine.id)
        .join(Group, Group.id == OrderLine.group_id)
        .where(OrderLine.order_id == Order.id, condition)
    )


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
        insert(cast(Table, OrderTimelineEvent.__table__)),
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
    facts = [facts_of(r) for r in rows]
    notify_order_events(facts=facts, event=event, now=now)
    return facts


def release_units(order_ids: Sequence[int], *, paid: bool) -> None:
    """Give back stock, per-user limits and group counts of these (just moved) orders, summed per row.

    Stock and group counts go back through the catalog and groups services' bulk releases (one executemany
    per table; CHECKs keep stock within the allocation and counters non-negative).
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
    purchases = cast(Table, UserDealPurchase.__table__)
    db.session.execute(
        update(purchases)
        .where(purchases.c.user_id == bindparam("b_user"), purchases.c.deal_id == bindparam("b_deal"))
        .values(quantity=purchases.c.quantity - bindparam("b_qty")),
        [{"b_user": u, "b_deal": d, "b_qty": q} for (u, d), q in sorted(per_purchase.items())],
    )
    release_stock_of_deals(per_deal)
    release_units_of_groups(per_group, paid=paid)
