"""The leader's desk: their own orders by status and pickup date, confirm and stock them.

A leader only ever sees and moves orders of their own pickup point; any other order is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from groupbuy.accounts.models import User
from groupbuy.common.fields import mask_name
from groupbuy.common.pagination import Page
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group
from groupbuy.leaders.service import get_active_leader
from groupbuy.orders.enums import LineStatus, OrderEvent, OrderStatus
from groupbuy.orders.models import Order
from groupbuy.orders.service.lifecycle import transition


@dataclass(frozen=True)
class LeaderOrderView:
    """An order as its leader sees it: the shopper's name masked."""

    order: Order
    shopper_name: str


def leader_id_of(*, user_id: int) -> int:
    """The caller's own pickup point (403 if not an active leader)."""
    return get_active_leader(user_id=user_id).id


def list_leader_orders(
    *, user_id: int, status: OrderStatus | None, pickup_date: date | None, page: int, page_size: int
) -> Page[LeaderOrderView]:
    """My pickup point's orders, newest first, optionally one status and one pickup date."""
    leader_id = leader_id_of(user_id=user_id)
    query = (
        select(Order, User.nickname)
        .join(User, User.id == Order.user_id)
        .where(Order.leader_id == leader_id)
        .options(lazyload(Order.events))  # the list shows lines, not the timeline
    )
    if status is not None:
        query = query.where(Order.status == status)
    if pickup_date is not None:
        query = query.where(Order.pickup_date == pickup_date)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    items = [LeaderOrderView(order=order, shopper_name=mask_name(_name(order, nickname))) for order, nickname in rows]
    return Page(items=items, page=page, page_size=page_size, total=total)


def _name(order: Order, nickname: str | None) -> str:
    recipient = (order.address or {}).get("recipient")
    return str(recipient or nickname or "")


def _leader_order(leader_id: int, order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.leader_id != leader_id:
        raise NotFound()
    return order


def confirm_order(*, leader_id: int, order_id: int, actor: str, now: datetime) -> Order:
    """A paid order whose every remaining line is in a succeeded group → confirmed (409 otherwise)."""
    with transaction():
        order = _leader_order(leader_id, order_id)
        if order.status is OrderStatus.PENDING_PAYMENT:
            raise Conflict("order_not_paid")
        active = [line for line in order.lines if line.status is LineStatus.ACTIVE] or order.lines
        groups = db.session.execute(
            select(Group.status).where(Group.id.in_({line.group_id for line in active}))
        ).scalars()
        waiting = {GroupStatus(s) for s in groups} - {GroupStatus.SUCCEEDED}
        if waiting:
            still_open = GroupStatus.OPEN in waiting
            raise Conflict(
                "group_not_succeeded",
                detail=("团购尚未截单成团，请截单后再确认", "The group is still open; confirm after the cutoff")
                if still_open
                else (
                    "该订单所在的团未成团，已为顾客退款",
                    "The group failed or was cancelled; the shopper is refunded",
                ),
            )
        return transition(order_id=order_id, event=OrderEvent.CONFIRM, actor=actor, now=now)


def stock_order(*, leader_id: int, order_id: int, actor: str, now: datetime) -> Order:
    """The leader has the goods of a confirmed order in hand or on the way: confirmed → stocking."""
    with transaction():
        _leader_order(leader_id, order_id)
        return transition(order_id=order_id, event=OrderEvent.STOCK, actor=actor, now=now)
