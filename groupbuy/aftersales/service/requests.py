"""After-sale requests: the shopper asks on lines of a received order, their leader accepts (refunded at once) or
rejects with a reason before answer_due_at; the shopper and the leader see their own requests only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from groupbuy.aftersales.enums import AfterSaleReason, AfterSaleStatus, AfterSaleType
from groupbuy.aftersales.models import AfterSaleEvent, AfterSaleItem, AfterSaleRequest
from groupbuy.aftersales.service.moves import move_request
from groupbuy.aftersales.service.notices import refund_text, tell_leader_of_request, tell_shopper
from groupbuy.aftersales.service.refunds import grant_refund, refundable_fen, send_refund
from groupbuy.aftersales.service.windows import window_closes_at
from groupbuy.catalog.models import Category, Deal, Product, Sku
from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.leaders.service import get_active_leader
from groupbuy.orders import service as orders
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.settings import settings
from groupbuy.uploads.service import attachable_uploads

RECEIVED_STATES = frozenset({OrderStatus.PICKED_UP, OrderStatus.DELIVERED, OrderStatus.COMPLETED})
MAX_PHOTOS = 9
OPEN_STATES = (AfterSaleStatus.PENDING, AfterSaleStatus.REJECTED, AfterSaleStatus.ESCALATED)


def open_request(
    *,
    user_id: int,
    order_id: int,
    type: AfterSaleType,
    items: Sequence[dict[str, Any]],
    reason: AfterSaleReason,
    amount_fen: int,
    now: datetime,
    description: str | None = None,
    images: Sequence[int] = (),
) -> AfterSaleRequest:
    """Open a request (pending, answer due in ``after_sale_answer_hours``) on lines of my received order."""
    with transaction():
        order = db.session.get(Order, order_id)
        if order is None or order.user_id != user_id:
            raise NotFound()
        if order.status not in RECEIVED_STATES:
            raise Conflict("order_not_received")
        orders.lock_refundable_order(order_id=order_id)  # one request or refund of this order at a time
        lines = {line.id: line for line in order.lines}
        wanted = _items(type, items, lines)
        received_at = _received_at(order)
        fresh = _fresh_lines(list(wanted))
        for line_id in wanted:
            closes = window_closes_at(
                received_at=received_at, fresh=line_id in fresh, reason=reason, user_id=user_id, now=now
            )
            if now > closes:
                raise Conflict("after_sale_window_closed", closes_at=closes.isoformat())
        already = select(AfterSaleRequest.id).where(
            AfterSaleRequest.order_id == order_id, AfterSaleRequest.status.in_(OPEN_STATES)
        )
        if db.session.scalar(already) is not None:
            raise Conflict("after_sale_already_open")
        attached = [u.id for u in attachable_uploads(user_id, list(images), now=now, field="images", limit=MAX_PHOTOS)]
        request = AfterSaleRequest(
            order_id=order_id,
            user_id=user_id,
            leader_id=order.leader_id,
            type=type,
            reason=reason,
            description=description,
            amount_fen=amount_fen,
            images=attached,
            status=AfterSaleStatus.PENDING,
            answer_due_at=now + timedelta(hours=settings().after_sale_answer_hours),
            created_at=now,
            updated_at=now,
            items=[AfterSaleItem(order_line_id=line_id, quantity=q) for line_id, q in wanted.items()],
        )
        _check_amount(order_id, request.items, amount_fen)
        db.session.add(request)
        db.session.flush()
        db.session.add(
            AfterSaleEvent(
                request_id=request.id,
                from_status=None,
                to_status=AfterSaleStatus.PENDING,
                actor=f"user:{user_id}",
                note=None,
                at=now,
            )
        )
        tell_leader_of_request(request, now=now)
        return request


def _items(type: AfterSaleType, items: Sequence[dict[str, Any]], lines: dict[int, OrderLine]) -> dict[int, int | None]:
    """{line id: units given back, or None for goods kept}; a return gives back units (all that are left by default)."""
    wanted: dict[int, int | None] = {}
    for item in items:
        line = lines.get(item["order_item_id"])
        if line is None:
            raise Invalid(errors={"items": ["not a line of this order"]})
        if line.id in wanted:
            raise Invalid(errors={"items": ["each line once"]})
        quantity = item.get("quantity")
        if quantity is None and type is AfterSaleType.RETURN_REFUND:
            quantity = line.quantity - line.refunded_quantity
            if quantity < 1:
                raise Conflict("refund_exceeds_line")
        wanted[line.id] = quantity
    return wanted


def _check_amount(order_id: int, items: Sequence[AfterSaleItem], amount_fen: int) -> None:
    """The amount asked: at most what is still refundable; with units given back, at least their price."""
    most = refundable_fen(order_id=order_id, items=items)
    if amount_fen > most:
        raise Conflict("refund_exceeds_refundable", refundable_fen=most)
    units = [(i.order_line_id, i.quantity) for i in items if i.quantity]
    if units:
        units_fen = orders.price_units(order_id=order_id, lines=units)
        if amount_fen < units_fen:
            raise Invalid(errors={"amount_fen": [f"at least {units_fen} fen (the price of the units given back)"]})
        if all(i.quantity for i in items) and amount_fen != units_fen:
            raise Invalid(errors={"amount_fen": [f"must be {units_fen} fen (the price of the units given back)"]})


def _received_at(order: Order) -> datetime:
    """When the shopper got the goods: the pickup (or delivery) in the order's timeline."""
    at = db.session.scalar(
        select(OrderTimelineEvent.at)
        .where(
            OrderTimelineEvent.order_id == order.id,
            OrderTimelineEvent.event.in_([OrderEvent.PICK_UP, OrderEvent.DELIVER]),
        )
        .order_by(OrderTimelineEvent.at.desc())
        .limit(1)
    )
    return at or order.updated_at


def _fresh_lines(line_ids: list[int]) -> set[int]:
    """Those of the lines whose deal's category is fresh produce."""
    return set(
        db.session.scalars(
            select(OrderLine.id)
            .join(Deal, Deal.id == OrderLine.deal_id)
            .join(Sku, Sku.id == Deal.sku_id)
            .join(Product, Product.id == Sku.product_id)
            .join(Category, Category.id == Product.category_id)
            .where(OrderLine.id.in_(line_ids), Category.is_fresh.is_(True))
        )
    )


def list_my_requests(*, user_id: int, page: int, page_size: int) -> Page[AfterSaleRequest]:
    query = select(AfterSaleRequest).where(AfterSaleRequest.user_id == user_id)
    return paginate(
        query.order_by(AfterSaleRequest.created_at.desc(), AfterSaleRequest.id.desc()), page=page, page_size=page_size
    )


def get_my_request(*, user_id: int, request_id: int) -> AfterSaleRequest:
    request = db.session.get(AfterSaleRequest, request_id)
    if request is None or request.user_id != user_id:
        raise NotFound()
    return request


def list_leader_requests(
    *, user_id: int, status: AfterSaleStatus | None, page: int, page_size: int
) -> Page[AfterSaleRequest]:
    leader_id = get_active_leader(user_id=user_id).id
    query = select(AfterSaleRequest).where(AfterSaleRequest.leader_id == leader_id)
    if status is not None:
        query = query.where(AfterSaleRequest.status == status)
    return paginate(query.order_by(AfterSaleRequest.answer_due_at, AfterSaleRequest.id), page=page, page_size=page_size)


def _leaders_request(user_id: int, request_id: int) -> tuple[int, AfterSaleRequest]:
    leader_id = get_active_leader(user_id=user_id).id
    request = db.session.get(AfterSaleRequest, request_id)
    if request is None or request.leader_id != leader_id:
        raise NotFound()
    return leader_id, request


def accept_request(*, user_id: int, request_id: int, now: datetime) -> AfterSaleRequest:
    """The leader accepts: refunded what was asked (line-level refund, then the provider), pending → accepted."""
    with transaction():
        leader_id, request = _leaders_request(user_id, request_id)
        actor = f"leader:{leader_id}"
        move_request(
            request_id=request_id,
            expected=[AfterSaleStatus.PENDING],
            to=AfterSaleStatus.ACCEPTED,
            actor=actor,
            now=now,
            note=f"同意退款 {request.amount_fen} 分",
            values={"answered_at": now},
        )
        grant = grant_refund(
            order_id=request.order_id, items=request.items, amount_fen=request.amount_fen, actor=actor, now=now
        )
        record_grant(request_id=request_id, amount_fen=grant.amount_fen, order_refund_id=grant.order_refund_id)
        tell_shopper(request, step="accepted", answer=f"团长已同意，{refund_text(grant.amount_fen)}", now=now)
    send_refund(grant, now=now)
    return _fresh(request_id)


def reject_request(*, user_id: int, request_id: int, reason: str, now: datetime) -> AfterSaleRequest:
    """The leader rejects with a reason before the answer is due; the shopper may then escalate."""
    with transaction():
        leader_id, request = _leaders_request(user_id, request_id)
        if request.status is AfterSaleStatus.PENDING and now > request.answer_due_at:
            raise Conflict("after_sale_answer_overdue")
        move_request(
            request_id=request_id,
            expected=[AfterSaleStatus.PENDING],
            to=AfterSaleStatus.REJECTED,
            actor=f"leader:{leader_id}",
            now=now,
            note=reason,
            values={"answered_at": now, "leader_note": reason[:500]},
        )
        tell_shopper(request, step="rejected", answer=f"团长未同意（{reason[:100]}），可申请平台介入", now=now)
    return _fresh(request_id)


def record_grant(*, request_id: int, amount_fen: int, order_refund_id: int | None) -> None:
    """What the request was finally refunded (by the leader or by CS), and the order refund that paid it."""
    db.session.execute(
        update(AfterSaleRequest)
        .where(AfterSaleRequest.id == request_id)
        .values(refund_fen=amount_fen, order_refund_id=order_refund_id)
        .execution_options(synchronize_session=False)
    )


def _fresh(request_id: int) -> AfterSaleRequest:
    return db.session.execute(
        select(AfterSaleRequest).where(AfterSaleRequest.id == request_id).execution_options(populate_existing=True)
    ).scalar_one()
