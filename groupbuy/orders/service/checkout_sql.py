"""Checkout's prebuilt statements: its first read (the shopper, their leader and tier, the deals ordered, the
coupon), the cart taken or cleared, the limit counted, the order written with its timeline row, the lines; and the
column defaults checkout fills in itself (groupbuy/orders/service/checkout.py runs them)."""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import BigInteger, bindparam, delete, exists, func, insert, select, true
from sqlalchemy.dialects import postgresql

from groupbuy.accounts.models import User
from groupbuy.cart.models import CartItem
from groupbuy.catalog.models import UserDealPurchase
from groupbuy.catalog.service import deals_for_sale_subquery
from groupbuy.coupons.service import with_coupon
from groupbuy.db import Base, upsert_insert
from groupbuy.leaders.models import Leader
from groupbuy.membership.models import MembershipTier
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent

# The shopper's chosen leader (given, else their current one).
_CHOSEN = func.coalesce(bindparam("leader_id", type_=BigInteger), User.current_leader_id)
_WHO = (
    select(
        _CHOSEN.label("chosen_id"),
        Leader.id.label("leader_id"),
        Leader.status,
        Leader.offers_delivery,
        Leader.delivery_fee_fen,
        Leader.delivery_radius_m,
        Leader.orders_paused,
        Leader.lat,
        Leader.lng,
        MembershipTier.rank.label("tier_rank"),  # the shopper's tier, and whether it may use member prices
        MembershipTier.member_price_enabled,
        exists().where(CartItem.user_id == User.id).label("has_cart"),  # no cart: nothing to clear after ordering
    )
    .select_from(User)
    .outerjoin(Leader, Leader.id == _CHOSEN)
    .outerjoin(MembershipTier, MembershipTier.code == User.tier)
    .where(User.id == bindparam("user_id"))
)
# Ordering given items: the same read with each deal ordered joined to it (deals_for_sale's columns, ``deal_*``):
# one row per deal found, or one row whose deal columns are NULL. The deals cost no round trip of their own.
_FOR_SALE = deals_for_sale_subquery()
_WHO_DEALS = _WHO.add_columns(*_FOR_SALE.c).outerjoin(_FOR_SALE, true())
# Each read with the shopper's coupon joined in (checkout with coupon_id): no extra round trip for it either.
# Keyed by (from_cart, with a coupon).
FIRST_READ = {
    (False, False): _WHO_DEALS,
    (False, True): with_coupon(cast(Any, _WHO_DEALS), user_id=User.id, leader_id=Leader.id),
    (True, False): _WHO,
    (True, True): with_coupon(cast(Any, _WHO), user_id=User.id, leader_id=Leader.id),
}
TAKE_CART = (
    delete(CartItem).where(CartItem.user_id == bindparam("user_id")).returning(CartItem.deal_id, CartItem.quantity)
)
CLEAR_CART_LINES = delete(CartItem).where(
    CartItem.user_id == bindparam("user_id"), CartItem.deal_id.in_(bindparam("deal_ids", expanding=True))
)
ADD_LINES = insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True)
ADD_PLACED_EVENT = insert(OrderTimelineEvent)


@functools.cache
def count_limit(dialect_name: str) -> Any:
    """Count units against the per-user limit: insert, or add to the row only while the sum stays within it."""
    statement = upsert_insert(dialect_name, UserDealPurchase)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "deal_id"],
        set_={"quantity": UserDealPurchase.quantity + statement.excluded.quantity},
        where=UserDealPurchase.quantity + statement.excluded.quantity <= bindparam("limit_per_user"),
    ).returning(UserDealPurchase.quantity)


_ORDER_COLUMNS = [c for c in Order.__table__.columns if not c.primary_key]
_EVENT_COLUMNS = ["event", "from_status", "to_status", "actor", "note", "at"]


@functools.cache
def add_order(dialect_name: str) -> Any:
    """Insert an order unless its number is taken: a clash returns no row, not an error.

    PostgreSQL: with its `place` timeline row in the same statement (a data-modifying WITH), one round trip; the
    timeline row's values are bound as ``event_<column>``. SQLite (in-process, no round trips to save): the
    order alone, and `_insert_order` adds the timeline row.
    """
    if dialect_name != "postgresql":
        return upsert_insert(dialect_name, Order).on_conflict_do_nothing().returning(Order.id)
    order = (
        postgresql.insert(Order)
        .values({c.key: bindparam(c.key, type_=c.type) for c in _ORDER_COLUMNS})
        .on_conflict_do_nothing()
        .returning(Order.id)
        .cte("placed_order")
    )
    events = OrderTimelineEvent.__table__.c
    return (
        insert(OrderTimelineEvent)
        .from_select(
            ["order_id", *_EVENT_COLUMNS],
            select(order.c.id, *(bindparam(f"event_{k}", type_=events[k].type) for k in _EVENT_COLUMNS)),
        )
        .returning(OrderTimelineEvent.order_id)
    )


def column_defaults(model: type[Base]) -> dict[str, Any]:
    """What each column holds after an INSERT that leaves it out: its scalar default, NULL if nullable.

    Required columns without a default are not listed: checkout must write them (the INSERT fails otherwise). A
    server-side or computed default fails here, at import: checkout could not answer it without reading back.
    """
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.server_default is not None or (column.default is not None and not column.default.is_scalar):
            raise TypeError(f"{column}: checkout cannot know this default without reading the row back")
        if column.primary_key:
            continue
        if column.default is not None:
            values[column.key] = column.default.arg
        elif column.nullable:
            values[column.key] = None
    return values


# Checkout writes what it decides over these: every other column is what the model would have made it.
ORDER_DEFAULTS = column_defaults(Order)
LINE_DEFAULTS = column_defaults(OrderLine)
