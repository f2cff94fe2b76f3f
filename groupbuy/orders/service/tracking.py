"""An order's tracking: its whole timeline, for the shopper, the order's leader and customer service only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from groupbuy.db import db
from groupbuy.errors import NotFound
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import Fulfilment, OrderEvent, OrderStatus
from groupbuy.orders.models import Order


@dataclass(frozen=True)
class TrackingEvent:
    event: OrderEvent
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str  # shopper | leader | platform | system: never another user's id
    note: str | None
    at: datetime


@dataclass(frozen=True)
class Tracking:
    order_id: int
    order_no: str
    status: OrderStatus
    fulfilment: Fulfilment
    pickup_date: date
    events: tuple[TrackingEvent, ...]


def order_tracking(*, order_id: int, viewer_id: int, staff: bool) -> Tracking:
    """The timeline of an order its viewer may see (its shopper, its leader, CS); anyone else gets 404."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound()
    if not staff and order.user_id != viewer_id:
        leader_user = db.session.scalar(select(Leader.user_id).where(Leader.id == order.leader_id))
        if leader_user != viewer_id:
            raise NotFound()
    return Tracking(
        order_id=order.id,
        order_no=order.order_no,
        status=order.status,
        fulfilment=order.fulfilment,
        pickup_date=order.pickup_date,
        events=tuple(
            TrackingEvent(
                event=e.event,
                from_status=e.from_status,
                to_status=e.to_status,
                actor=_role_of(e.actor, order.user_id),
                note=e.note,
                at=e.at,
            )
            for e in order.events
        ),
    )


def _role_of(actor: str, owner_id: int) -> str:
    """Who acted, as a role: the timeline stores ids, which a viewer other than that person must not see."""
    if actor == f"user:{owner_id}":
        return "shopper"
    if actor.startswith("leader:"):
        return "leader"
    if actor.startswith(("user:", "admin:", "cs:")):
        return "platform"
    return "system"
