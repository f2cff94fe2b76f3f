"""Orders as customer service sees them: a search over every order, and one order's whole file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from groupbuy.accounts.models import User
from groupbuy.common.pagination import Page
from groupbuy.db import db
from groupbuy.errors import NotFound
from groupbuy.leaders.models import Leader
from groupbuy.orders.models import Order, OrderRefund
from groupbuy.orders.service import Tracking, order_tracking
from groupbuy.payments.models import Payment, Refund

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class OrderHit:
    """One search result: the order and who bought it (the phone is masked when dumped)."""

    order: Order
    shopper_id: int
    shopper_phone: str | None
    shopper_nickname: str


@dataclass(frozen=True)
class OrderDossier:
    """Everything CS needs to answer about one order."""

    order: Order
    shopper_id: int
    shopper_phone: str | None
    shopper_nickname: str
    leader_name: str
    pickup_point: str
    tracking: Tracking
    payments: list[Payment]
    refunds: list[Refund]  # provider refunds (money moving back)
    order_refunds: list[OrderRefund]  # the order's refund ledger (units and amounts granted)


def _day_start(day: date) -> datetime:
    """Midnight of a calendar day in Asia/Shanghai, as an aware time."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def search_orders(
    *,
    order_no: str | None = None,
    phone: str | None = None,
    leader_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int,
    page_size: int,
) -> Page[OrderHit]:
    """Orders matching every filter given, newest first. ``phone`` is the normalised mainland number: it matches
    the shopper's account or the order's delivery address. Dates are calendar days in Asia/Shanghai (inclusive)."""
    query = select(Order, User.id, User.phone, User.nickname).join(User, User.id == Order.user_id)
    if order_no:
        query = query.where(Order.order_no == order_no.strip())
    if phone:
        query = query.where(or_(User.phone == phone, Order.address["phone"].as_string() == phone))
    if leader_id is not None:
        query = query.where(Order.leader_id == leader_id)
    if date_from is not None:
        query = query.where(Order.created_at >= _day_start(date_from))
    if date_to is not None:
        query = query.where(Order.created_at < _day_start(date_to + timedelta(days=1)))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.execute(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    hits = [OrderHit(order=r[0], shopper_id=r[1], shopper_phone=r[2], shopper_nickname=r[3]) for r in rows]
    return Page(items=hits, page=page, page_size=page_size, total=total)


def open_order(*, order_id: int, viewer_id: int) -> OrderDossier:
    """Any order with its lines, tracking timeline, payments and refunds (404 when there is no such order)."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound()
    shopper = db.session.get_one(User, order.user_id)
    leader = db.session.get_one(Leader, order.leader_id)
    return OrderDossier(
        order=order,
        shopper_id=shopper.id,
        shopper_phone=shopper.phone,
        shopper_nickname=shopper.nickname,
        leader_name=leader.display_name,
        pickup_point=leader.pickup_point_name,
        tracking=order_tracking(order_id=order_id, viewer_id=viewer_id, staff=True),
        payments=list(db.session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id))),
        refunds=list(db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))),
        order_refunds=list(
            db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order_id).order_by(OrderRefund.id))
        ),
    )
