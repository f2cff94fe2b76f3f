"""Demo after-sales for `make run`: an open request on one of the demo leader's received orders (waiting for the
leader), and a dispute in customer service's queue (the leader rejected, the shopper escalated), so the leader's
list and the CS console are not empty.

Everything goes through the after-sale services with times after the goods were received and before now. Nothing is
added when the demo leader already has after-sale requests (a later load): running demo-data twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from groupbuy.accounts.models import User
from groupbuy.aftersales.enums import AfterSaleReason, AfterSaleType
from groupbuy.aftersales.models import AfterSaleRequest
from groupbuy.aftersales.service import escalate_request, open_request, reject_request
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.orders.service import refundable_lines

RECEIVED = (OrderStatus.PICKED_UP, OrderStatus.COMPLETED)


def _received(leader_id: int) -> list[tuple[int, int, datetime]]:
    """(order id, shopper id, received at) of the leader's received orders, newest first."""
    rows = db.session.execute(
        select(Order.id, Order.user_id, OrderTimelineEvent.at)
        .join(OrderTimelineEvent, OrderTimelineEvent.order_id == Order.id)
        .where(
            Order.leader_id == leader_id,
            Order.status.in_(RECEIVED),
            OrderTimelineEvent.event == OrderEvent.PICK_UP,
        )
        .order_by(OrderTimelineEvent.at.desc(), Order.id.desc())
    ).all()
    return [(r.id, r.user_id, r.at) for r in rows]


def _ask(order_id: int, user_id: int, at: datetime, description: str) -> AfterSaleRequest | None:
    """A refund for goods kept: about a third of the first line still refundable."""
    figures = sorted(refundable_lines(order_id=order_id).values(), key=lambda f: f.line_id)
    line = next((f for f in figures if f.kept_fen >= 30), None)
    if line is None:
        return None
    amount = max(10, line.kept_fen // 3 // 10 * 10)
    return open_request(
        user_id=user_id,
        order_id=order_id,
        type=AfterSaleType.REFUND_ONLY,
        items=[{"order_item_id": line.line_id}],
        reason=AfterSaleReason.QUALITY,
        amount_fen=amount,
        description=description,
        now=at,
    )


def load_demo_aftersales(*, leader_phone: str, now: datetime) -> str | None:
    """The demo leader's open request and an escalated dispute, once; a line saying what was added."""
    leader = db.session.scalar(select(Leader).join(User, Leader.user_id == User.id).where(User.phone == leader_phone))
    if leader is None:
        return None
    if db.session.scalar(select(AfterSaleRequest.id).where(AfterSaleRequest.leader_id == leader.id).limit(1)):
        return None
    received = _received(leader.id)
    shoppers_done: set[int] = set()
    opened = disputed = 0
    for order_id, user_id, received_at in received:  # the newest: waiting for the leader's answer
        if received_at + timedelta(minutes=20) > now:
            continue
        if _ask(order_id, user_id, received_at + timedelta(minutes=20), "有两个磕碰坏了，申请部分退款"):
            shoppers_done.add(user_id)
            opened = 1
            break
    for order_id, user_id, received_at in reversed(received):  # the oldest: rejected, then escalated to CS
        if user_id in shoppers_done or received_at + timedelta(hours=6) > now:
            continue
        request = _ask(order_id, user_id, received_at + timedelta(hours=1), "收到时已经不新鲜，有异味")
        if request is None:
            continue
        reject_request(
            user_id=leader.user_id,
            request_id=request.id,
            reason="取货时当面检查过，没有问题",
            now=received_at + timedelta(hours=3),
        )
        escalate_request(
            user_id=user_id,
            request_id=request.id,
            statement="回家打开才发现，请平台介入",
            now=received_at + timedelta(hours=5),
        )
        disputed = 1
        break
    if not opened and not disputed:
        return None
    return f"Demo after-sales of {leader.display_name}: {opened} request for the leader, {disputed} dispute for CS."
