"""Order use cases."""

from groupbuy.orders.service.checkout import CheckoutItem, place_order
from groupbuy.orders.service.lifecycle import (
    cancel_order,
    confirm_receipt,
    expire_order,
    mark_order_paid,
    transition,
)
from groupbuy.orders.service.queries import get_order_for_user, list_orders_for_user

__all__ = [
    "CheckoutItem",
    "cancel_order",
    "confirm_receipt",
    "expire_order",
    "get_order_for_user",
    "list_orders_for_user",
    "mark_order_paid",
    "place_order",
    "transition",
]
