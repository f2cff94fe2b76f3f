"""Handing goods over: a pickup code verified by the shopper's own leader, home delivery out and delivered.

A leader only ever finds their own orders: another leader's code is simply not found. Wrong codes are
throttled per leader with a counter row (``pickup_code_failures``): every attempt takes a slot before the code
is looked up (one conditional UPDATE, so racing attempts cannot overrun the limit) and a code that is found gives
its slot back, so only wrong codes count; once the window holds the limit, attempts are 429 until it ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, select, update

from groupbuy.db import db, insert_or_ignore, transaction
from groupbuy.errors import Conflict, NotFound, TooManyRequests
from groupbuy.leaders.service import get_active_leader
from groupbuy.orders.enums import Fulfilment, OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent, PickupCodeFailures
from groupbuy.orders.service.lifecycle import transition
from groupbuy.settings import settings

HANDED_OVER = (OrderStatus.PICKED_UP, OrderStatus.COMPLETED)


def verify_pickup_code(*, user_id: int, pickup_code: str, now: datetime) -> Order:
    """A code of one of the caller's (a leader's) orders that is ready → picked_up; a second verify is 409 naming
    when; wrong codes are throttled per leader (PICKUP_CODE_MAX_FAILURES per PICKUP_CODE_FAILURE_WINDOW_MINUTES)."""
    config = settings()
    with transaction():
        leader_id = get_active_leader(user_id=user_id).id
        _take_attempt(
            leader_id,
            now,
            max_failures=config.pickup_code_max_failures,
            window=timedelta(minutes=config.pickup_code_failure_window_minutes),
        )
        found = list(
            db.session.scalars(
                select(Order)
                .where(Order.leader_id == leader_id, Order.pickup_code == pickup_code)
                .order_by(Order.pickup_date, Order.id)
            )
        )
        if not found:
            raise NotFound("pickup_code_not_found", persist=True)  # the attempt stays counted
        _give_back_attempt(leader_id)
        ready = [o for o in found if o.status is OrderStatus.READY_FOR_PICKUP]
        if ready:
            return transition(
                order_id=ready[0].id,
                event=OrderEvent.PICK_UP,
                actor=f"leader:{leader_id}",
                now=now,
                note="pickup code verified",
            )
        handed = [o for o in found if o.status in HANDED_OVER]
        if handed:
            at = _handed_over_at(handed[-1].id)
            raise Conflict(
                "already_picked_up",
                detail=(f"该提货码已于 {at} 核销", f"This code was already verified at {at}"),
            )
        raise Conflict("not_ready_for_pickup")


def _take_attempt(leader_id: int, now: datetime, *, max_failures: int, window: timedelta) -> None:
    """Count one attempt in the leader's window (a window that is over starts again); 429 when it is full."""
    table = PickupCodeFailures.__table__
    db.session.execute(
        insert_or_ignore(table)
        .values(leader_id=leader_id, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["leader_id"])
    )
    restart = PickupCodeFailures.window_started_at <= now - window
    admitted = db.session.execute(
        update(PickupCodeFailures)
        .where(PickupCodeFailures.leader_id == leader_id, restart | (PickupCodeFailures.failures < max_failures))
        .values(
            failures=case((restart, 1), else_=PickupCodeFailures.failures + 1),
            window_started_at=case((restart, now), else_=PickupCodeFailures.window_started_at),
        )
        .returning(PickupCodeFailures.failures)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if admitted is None:
        started = db.session.scalar(
            select(PickupCodeFailures.window_started_at).where(PickupCodeFailures.leader_id == leader_id)
        )
        seconds = int(((started or now) + window - now).total_seconds()) + 1
        raise TooManyRequests("pickup_code_throttled", headers={"Retry-After": str(max(seconds, 1))})


def _give_back_attempt(leader_id: int) -> None:
    """The code was one of the leader's: it is not a wrong code."""
    db.session.execute(
        update(PickupCodeFailures)
        .where(PickupCodeFailures.leader_id == leader_id, PickupCodeFailures.failures > 0)
        .values(failures=PickupCodeFailures.failures - 1)
        .execution_options(synchronize_session=False)
    )


def _handed_over_at(order_id: int) -> str:
    at = db.session.scalar(
        select(OrderTimelineEvent.at)
        .where(OrderTimelineEvent.order_id == order_id, OrderTimelineEvent.event == OrderEvent.PICK_UP)
        .order_by(OrderTimelineEvent.id.desc())
        .limit(1)
    )
    return at.isoformat() if at is not None else ""


def _leaders_delivery_order(user_id: int, order_id: int) -> int:
    """The caller's leader id, if the order is one of that leader's home-delivery orders (else 404 / 409)."""
    leader_id = get_active_leader(user_id=user_id).id
    order = db.session.get(Order, order_id)
    if order is None or order.leader_id != leader_id:
        raise NotFound()
    if order.fulfilment is not Fulfilment.DELIVERY:
        raise Conflict("not_a_delivery_order")
    return leader_id


def send_out_for_delivery(*, user_id: int, order_id: int, now: datetime) -> Order:
    """A home-delivery order that arrived at the leader's point leaves for the shopper's door."""
    with transaction():
        leader_id = _leaders_delivery_order(user_id, order_id)
        return transition(order_id=order_id, event=OrderEvent.OUT_FOR_DELIVERY, actor=f"leader:{leader_id}", now=now)


def mark_delivered(*, user_id: int, order_id: int, now: datetime) -> Order:
    """The leader handed a home-delivery order over at the door: out_for_delivery → delivered."""
    with transaction():
        leader_id = _leaders_delivery_order(user_id, order_id)
        return transition(order_id=order_id, event=OrderEvent.DELIVER, actor=f"leader:{leader_id}", now=now)
