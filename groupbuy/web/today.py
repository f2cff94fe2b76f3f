"""The workbench's "today at a glance": read-only queries over the leader's own groups and orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from groupbuy.catalog.models import Deal
from groupbuy.common.urls import absolute_url
from groupbuy.db import db
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group
from groupbuy.groups.service import share_url
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import LineStatus, OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.web.format import SHANGHAI, countdown, percent

CARD_LIMIT = 30  # groups shown on the page: the open ones first, then today's and tomorrow's


@dataclass(frozen=True)
class GroupCard:
    group_id: int
    title: str
    spec: str
    status: GroupStatus
    units_paid: int
    threshold: int
    progress_percent: int
    cutoff_at: datetime
    countdown: str
    pickup_date: date
    share_url: str
    qr_svg_url: str
    qr_png_url: str


@dataclass(frozen=True)
class ExpectedArrival:
    deal_id: int
    title: str
    units: int


@dataclass(frozen=True)
class Today:
    day: date
    leader_name: str
    pickup_point: str
    groups: list[GroupCard]
    orders_to_confirm: int
    arrivals: list[ExpectedArrival]
    pickups_done: int
    pickups_remaining: int


def local_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of ``first``, start of the day after ``last``) in Asia/Shanghai, as aware times."""
    start = datetime.combine(first, time(), tzinfo=SHANGHAI)
    return start, datetime.combine(last + timedelta(days=1), time(), tzinfo=SHANGHAI)


def group_cards(*, leader_id: int, now: datetime) -> list[GroupCard]:
    """Open groups (closing soonest first), then succeeded groups whose pickup is today or later."""
    today = local_today(now)
    rows = db.session.execute(
        select(Group, Deal)
        .join(Deal, Deal.id == Group.deal_id)
        .where(
            Group.leader_id == leader_id,
            or_(
                Group.status == GroupStatus.OPEN,
                and_(Group.status == GroupStatus.SUCCEEDED, Deal.pickup_date >= today),
            ),
        )
        .order_by((Group.status == GroupStatus.OPEN).desc(), Deal.cutoff_at, Group.id)
        .limit(CARD_LIMIT)
    ).all()
    return [
        GroupCard(
            group_id=group.id,
            title=deal.title,
            spec=deal.sku.spec,
            status=group.status,
            units_paid=group.units_paid,
            threshold=deal.min_group_quantity,
            progress_percent=percent(group.units_paid, deal.min_group_quantity),
            cutoff_at=deal.cutoff_at,
            countdown=countdown(deal.cutoff_at, now),
            pickup_date=deal.pickup_date,
            share_url=share_url(group.id),
            qr_svg_url=absolute_url(f"/api/v1/groups/{group.id}/qr.svg"),
            qr_png_url=absolute_url(f"/api/v1/groups/{group.id}/qr.png"),
        )
        for group, deal in rows
    ]


def _count(*conditions: ColumnElement[bool]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Order).where(*conditions)) or 0)


def _confirmable(leader_id: int) -> tuple[ColumnElement[bool], ...]:
    """Paid orders every live line of which is in a succeeded group (open ones wait, failed ones are refunded)."""
    not_succeeded = exists(
        select(OrderLine.id)
        .join(Group, Group.id == OrderLine.group_id)
        .where(
            OrderLine.order_id == Order.id,
            OrderLine.status == LineStatus.ACTIVE,
            Group.status != GroupStatus.SUCCEEDED,
        )
    )
    return Order.leader_id == leader_id, Order.status == OrderStatus.PAID, ~not_succeeded


def orders_to_confirm(*, leader_id: int) -> int:
    return _count(*_confirmable(leader_id))


def order_ids_to_confirm(*, leader_id: int, limit: int = 500) -> list[int]:
    """The orders the workbench's "confirm all" button confirms, oldest first."""
    return list(db.session.scalars(select(Order.id).where(*_confirmable(leader_id)).order_by(Order.id).limit(limit)))


def expected_arrivals(*, leader_id: int, day: date) -> list[ExpectedArrival]:
    """Units on their way for the day's pickup (shipped, not yet arrived), per deal."""
    rows = db.session.execute(
        select(OrderLine.deal_id, Deal.title, func.sum(OrderLine.quantity - OrderLine.refunded_quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .join(Deal, Deal.id == OrderLine.deal_id)
        .where(
            Order.leader_id == leader_id,
            Order.status == OrderStatus.SHIPPED,
            Order.pickup_date <= day,
            OrderLine.status == LineStatus.ACTIVE,
        )
        .group_by(OrderLine.deal_id, Deal.title)
        .order_by(OrderLine.deal_id)
    ).all()
    return [ExpectedArrival(deal_id=r[0], title=r[1], units=int(r[2] or 0)) for r in rows]


def pickup_counts(*, leader_id: int, now: datetime) -> tuple[int, int]:
    """(picked up today, waiting at the point): the counter the pickup-code box moves."""
    start, end = day_bounds(local_today(now), local_today(now))
    picked_today = exists(
        select(OrderTimelineEvent.id).where(
            OrderTimelineEvent.order_id == Order.id,
            OrderTimelineEvent.event == OrderEvent.PICK_UP,
            OrderTimelineEvent.at >= start,
            OrderTimelineEvent.at < end,
        )
    )
    done = _count(Order.leader_id == leader_id, picked_today)
    remaining = _count(Order.leader_id == leader_id, Order.status == OrderStatus.READY_FOR_PICKUP)
    return done, remaining


def today_at_a_glance(*, leader: Leader, now: datetime) -> Today:
    """Open groups with progress and countdown, orders to confirm, arrivals expected, pickups done/remaining."""
    done, remaining = pickup_counts(leader_id=leader.id, now=now)
    return Today(
        day=local_today(now),
        leader_name=leader.display_name,
        pickup_point=leader.pickup_point_name,
        groups=group_cards(leader_id=leader.id, now=now),
        orders_to_confirm=orders_to_confirm(leader_id=leader.id),
        arrivals=expected_arrivals(leader_id=leader.id, day=local_today(now)),
        pickups_done=done,
        pickups_remaining=remaining,
    )
