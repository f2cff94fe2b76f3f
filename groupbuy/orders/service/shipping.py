"""Shipping a leader's orders for a pickup date, and the orders whose goods wait unclaimed at the pickup point.

Both are chosen from database state and guarded on the order's status, so a repeat (a second dispatch, a job run
twice or late) finds nothing left to do and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Exists, exists, func, select, update

from groupbuy.db import db, transaction
from groupbuy.errors import NotFound
from groupbuy.leaders.models import Leader
from groupbuy.notifications.service import OrderFacts
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.orders.service.bulk import claim_orders, move_orders
from groupbuy.orders.service.notices import FACT_COLUMNS, facts_of

SHIPPABLE = (OrderStatus.CONFIRMED, OrderStatus.STOCKING)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # pickup dates are dates in China


@dataclass(frozen=True)
class ShippedUnits:
    deal_id: int
    product_name: str
    spec: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    """What one dispatch sent to one leader for one pickup date (nothing when everything had gone already)."""

    leader_id: int
    leader_user_id: int
    pickup_date: date
    order_ids: tuple[int, ...]
    units: tuple[ShippedUnits, ...]

    @property
    def total_units(self) -> int:
        return sum(u.quantity for u in self.units)


def ship_orders(*, leader_id: int, pickup_date: date, actor: str, now: datetime) -> Shipment:
    """The leader's confirmed and stocking orders for ``pickup_date`` → shipped (a repeat ships nothing)."""
    with transaction():
        leader_user_id = db.session.scalar(select(Leader.user_id).where(Leader.id == leader_id))
        if leader_user_id is None:
            raise NotFound()
        claimed = db.session.execute(
            select(Order.id, Order.status)
            .where(Order.leader_id == leader_id, Order.pickup_date == pickup_date, Order.status.in_(SHIPPABLE))
            .order_by(Order.id)
            .with_for_update(of=Order)
        ).all()
        shipped: list[int] = []
        for status in SHIPPABLE:
            moved = move_orders(
                order_ids=[r.id for r in claimed if r.status is status],
                event=OrderEvent.SHIP,
                from_status=status,
                now=now,
                actor=actor,
                notify=False,
            )
            shipped += [m.order_id for m in moved]
        return Shipment(
            leader_id=leader_id,
            leader_user_id=leader_user_id,
            pickup_date=pickup_date,
            order_ids=tuple(sorted(shipped)),
            units=_units_of(shipped),
        )


def _units_of(order_ids: list[int]) -> tuple[ShippedUnits, ...]:
    if not order_ids:
        return ()
    rows = db.session.execute(
        select(
            OrderLine.deal_id,
            OrderLine.product_name,
            OrderLine.spec,
            func.sum(OrderLine.quantity - OrderLine.refunded_quantity),
        )
        .where(OrderLine.order_id.in_(order_ids), OrderLine.status == LineStatus.ACTIVE)
        .group_by(OrderLine.deal_id, OrderLine.product_name, OrderLine.spec)
        .order_by(OrderLine.deal_id)
    ).all()
    return tuple(ShippedUnits(deal_id=d, product_name=n, spec=s, quantity=int(q)) for d, n, s, q in rows)


def dispatch_due_by(*, now: datetime, dispatch_hour: int) -> date:
    """The latest pickup date due for dispatch at ``now``: tomorrow (China time) once ``dispatch_hour`` has passed."""
    local = now.astimezone(LOCAL_TZ) - timedelta(hours=dispatch_hour)
    return local.date() + timedelta(days=1)


def due_dispatches(*, now: datetime, dispatch_hour: int, limit: int) -> list[tuple[int, date]]:
    """(leader, pickup date) pairs with orders still to ship whose eve has come (late runs catch up on older dates)."""
    return [
        (r.leader_id, r.pickup_date)
        for r in db.session.execute(
            select(Order.leader_id, Order.pickup_date)
            .where(
                Order.status.in_(SHIPPABLE),
                Order.pickup_date <= dispatch_due_by(now=now, dispatch_hour=dispatch_hour),
            )
            .group_by(Order.leader_id, Order.pickup_date)
            .order_by(Order.pickup_date, Order.leader_id)
            .limit(limit)
        )
    ]


def _ready_since(days: int, now: datetime) -> Exists:
    """The order reached ready_for_pickup at least ``days`` ago (by its timeline)."""
    return exists(
        select(OrderTimelineEvent.id).where(
            OrderTimelineEvent.order_id == Order.id,
            OrderTimelineEvent.to_status == OrderStatus.READY_FOR_PICKUP,
            OrderTimelineEvent.at <= now - timedelta(days=days),
        )
    )


def mark_unclaimed_reminded_batch(*, now: datetime, days: int, after_id: int, limit: int) -> list[OrderFacts]:
    """Pickup orders waiting ``days`` since arrival and not yet reminded: mark them reminded (once) and return them
    for the caller to remind in the same transaction; ``after_id`` pages. Empty: nothing more."""
    claimed = claim_orders(
        select(Order.id)
        .where(
            Order.status == OrderStatus.READY_FOR_PICKUP,
            Order.fulfilment == Fulfilment.PICKUP,
            Order.unclaimed_reminded_at.is_(None),
            Order.id > after_id,
            _ready_since(days, now),
        )
        .order_by(Order.id),
        limit,
    )
    return _stamp([r.id for r in claimed], "unclaimed_reminded_at", now)


def flag_unclaimed_batch(*, now: datetime, days: int, after_id: int, limit: int) -> tuple[int, int | None]:
    """Orders still at the pickup point ``days`` after arrival → flagged for customer service (once)."""
    with transaction():
        claimed = claim_orders(
            select(Order.id)
            .where(
                Order.status == OrderStatus.READY_FOR_PICKUP,
                Order.unclaimed_flagged_at.is_(None),
                Order.id > after_id,
                _ready_since(days, now),
            )
            .order_by(Order.id),
            limit,
        )
        ids = [r.id for r in claimed]
        return len(_stamp(ids, "unclaimed_flagged_at", now)), ids[-1] if ids else None


def _stamp(order_ids: list[int], column: str, now: datetime) -> list[OrderFacts]:
    """Set the time ``column`` of these orders where it is still empty; the facts of the orders stamped now."""
    if not order_ids:
        return []
    rows = db.session.execute(
        update(Order)
        .where(Order.id.in_(order_ids), getattr(Order, column).is_(None))
        .values({column: now, "updated_at": now})
        .returning(*FACT_COLUMNS)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((facts_of(r) for r in rows), key=lambda f: f.order_id)
