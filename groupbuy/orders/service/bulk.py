"""Bulk order moves for the scheduled jobs: the set-based form of transition() and of releasing units.

A batch claims its rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so parallel runners split the work and
never wait on a row a checkout or payment holds), moves them with one conditional UPDATE per from-state,
writes their timeline rows in one INSERT and queues their notices in bulk: no ORM object graph per order.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, exists, select, update

from groupbuy.catalog.models import UserDealPurchase
from groupbuy.catalog.service import release_stock_of_deals
from groupbuy.common.bulk import insert_many, update_many
from groupbuy.coupons.service import release_coupons
from groupbuy.db import db
from groupbuy.groups.models import Group
from groupbuy.groups.service import release_units_of_groups
from groupbuy.notifications.service import OrderFacts
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.orders.service.notices import FACT_COLUMNS, facts_of, tell_shoppers
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


def claim_orders(query: Select[*tuple[Any, ...]], limit: int | None) -> list[Any]:
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
    actor: str = SYSTEM,
    notify: bool = True,
) -> list[OrderFacts]:
    """The bulk form of transition(): one conditional UPDATE from one state, a timeline row per moved order.
    ``notify=False``: the caller (a flow) tells the shoppers itself."""
    target = next_status(event, from_status)
    if target is None:
        raise ValueError(f"{event.value} cannot start from {from_status.value}")
    if not order_ids:
        return []
    rows = db.session.execute(
        update(Order)
        .where(Order.id.in_(order_ids), Order.status == from_status)
        .values(status=target, updated_at=now, **(values or {}))
        .returning(*FACT_COLUMNS)
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return []
    if target is OrderStatus.CANCELLED:  # unpaid orders closed: their locked coupons go back to the wallets
        release_coupons(order_ids=[r.id for r in rows])
    insert_many(
        cast(Table, OrderTimelineEvent.__table__),
        [
            {
                "order_id": r.id,
                "event": event,
                "from_status": from_status,
                "to_status": target,
                "actor": actor[:40],
                "note": note,
                "at": now,
            }
            for r in rows
        ],
    )
    facts = [facts_of(r) for r in rows]
    if notify:
        tell_shoppers(facts=facts, event=event, now=now)
    return facts


@dataclass(frozen=True)
class LineUnits:
    """Units of one line going back: to the deal's stock, the shopper's limit and the group's counters."""

    user_id: int
    deal_id: int
    group_id: int
    quantity: int


def release_units(order_ids: Sequence[int], *, paid: bool) -> None:
    """Give back the active units of these (just moved) orders: see release_line_units."""
    if not order_ids:
        return
    release_line_units(
        [
            LineUnits(user_id=u, deal_id=d, group_id=g, quantity=q)
            for u, d, g, q in db.session.execute(
                select(
                    Order.user_id,
                    OrderLine.deal_id,
                    OrderLine.group_id,
                    OrderLine.quantity - OrderLine.refunded_quantity,
                )
                .join(Order, Order.id == OrderLine.order_id)
                .where(OrderLine.order_id.in_(order_ids), OrderLine.refunded_quantity < OrderLine.quantity)
            ).all()
        ],
        paid=paid,
    )


_DEFERRED: contextvars.ContextVar[list[tuple[list[LineUnits], bool]] | None] = contextvars.ContextVar(
    "deferred_releases", default=None
)


@contextmanager
def releases_at_the_end() -> Iterator[None]:
    """Inside, release_line_units only collects; on leaving (without an error) everything is released at once,
    summed per row. A closing batch then holds the deals' rows, which every batch touches, only for its last
    statements, so parallel runners hardly wait on each other."""
    pending: list[tuple[list[LineUnits], bool]] = []
    token = _DEFERRED.set(pending)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    _release(
        {paid: [unit for units, was_paid in pending if was_paid is paid for unit in units] for paid in (False, True)}
    )


def release_line_units(units: Sequence[LineUnits], *, paid: bool) -> None:
    """Give back stock, per-user limits and group counts of these units, summed per row.

    Stock and group counts go back through the catalog and groups services' bulk releases (one executemany
    per table; CHECKs keep stock within the allocation and counters non-negative).
    In checkout's lock order: purchases, groups, then deals (the hottest rows), each sorted. A closing batch
    already holds its groups and gives stock back at its end (releases_at_the_end).
    """
    if not units:
        return
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.append((list(units), paid))
        return
    _release({paid: list(units)})


def _release(units_by_paid: dict[bool, list[LineUnits]]) -> None:
    """One pass in lock order: purchases, then groups (paid units also leave units_paid), then deals."""
    every = [unit for units in units_by_paid.values() for unit in units]
    if not every:
        return
    per_purchase: Counter[tuple[int, int]] = Counter()
    per_deal: Counter[int] = Counter()
    for unit in every:
        per_purchase[(unit.user_id, unit.deal_id)] += unit.quantity
        per_deal[unit.deal_id] += unit.quantity
    purchases = cast(Table, UserDealPurchase.__table__)
    update_many(
        purchases,
        [({"user_id": u, "deal_id": d}, {"quantity": -q}) for (u, d), q in sorted(per_purchase.items())],
        add=["quantity"],
    )
    for paid, units in sorted(units_by_paid.items()):
        per_group: Counter[int] = Counter()
        for unit in units:
            per_group[unit.group_id] += unit.quantity
        release_units_of_groups(per_group, paid=paid)
    release_stock_of_deals(per_deal)
