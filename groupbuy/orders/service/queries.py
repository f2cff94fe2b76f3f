"""Read side: a shopper's own orders only (anyone else's is a 404)."""

from __future__ import annotations

from sqlalchemy import select

from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db
from groupbuy.errors import NotFound
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order


def get_order_for_user(*, user_id: int, order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound()
    return order


def list_orders_for_user(*, user_id: int, status: OrderStatus | None, page: int, page_size: int) -> Page[Order]:
    """Newest first, optionally one status."""
    query = select(Order).where(Order.user_id == user_id)
    if status is not None:
        query = query.where(Order.status == status)
    return paginate(query.order_by(Order.created_at.desc(), Order.id.desc()), page=page, page_size=page_size)


def pickup_code_for_user(*, user_id: int, order_id: int) -> str:
    """The pickup code of my order (what its pickup QR encodes); 404 before it has one or for anyone else's."""
    code = get_order_for_user(user_id=user_id, order_id=order_id).pickup_code
    if code is None:
        raise NotFound()
    return code


def list_unclaimed_orders(*, page: int, page_size: int) -> Page[Order]:
    """CS queue: orders flagged by handle_unclaimed_goods that are still waiting at the pickup point, oldest first."""
    query = select(Order).where(Order.unclaimed_flagged_at.is_not(None), Order.status == OrderStatus.READY_FOR_PICKUP)
    return paginate(query.order_by(Order.unclaimed_flagged_at, Order.id), page=page, page_size=page_size)
