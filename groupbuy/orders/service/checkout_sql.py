"""Checkout's prebuilt statements: its first read (the shopper, their leader and tier, the deals ordered, the
coupon), the cart taken or cleared, the limit counted, the order written with its timeline row, the lines; the
single-line order written in one statement (PostgreSQL); and the column defaults checkout fills in itself
(groupbuy/orders/service/checkout.py runs them)."""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import (
    CTE,
    BigInteger,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    true,
)
from sqlalchemy.dialects import postgresql

from groupbuy.accounts.models import User
from groupbuy.cart.models import CartItem
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.catalog.service import deals_for_sale_subquery, take_stock_after
from groupbuy.coupons.models import UserCoupon
from groupbuy.coupons.service import lock_coupon_after, with_coupon
from groupbuy.db import Base, upsert_insert
from groupbuy.groups.models import Group
from groupbuy.groups.service import join_group_after
from groupbuy.idempotency.service import keep_key_first
from groupbuy.leaders.models import Leader
from groupbuy.membership.models import MembershipTier
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.prebuilt import refused_unless

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


def _next_id(model: type[Base]) -> Any:
    """The next id of ``model``'s table from its sequence (PostgreSQL; a serial key's sequence is <table>_id_seq)."""
    return literal_column(f"nextval('{model.__tablename__}_id_seq')", BigInteger)


@functools.cache
def first_read(dialect_name: str, *, from_cart: bool, coupon: bool, single: bool = False) -> Any:
    """Checkout's first read: the shopper with their leader and tier; ordering given items, each deal ordered
    joined to it (deals_for_sale's columns, ``deal_*``: one row per deal found, or one row whose deal columns are
    NULL), so the deals cost no round trip of their own; with a coupon, the shopper's coupon joined in too.

    The deals are bound as ``deal_ids``, or as ``deal_id`` when ``single`` (one deal ordered; see
    deals_for_sale_subquery). A single deal on PostgreSQL (place_single_line's order) also draws the ids the
    order and its line will take (``new_order_id``, ``new_line_id``) and reads the leader's group for the deal
    (``group_id``: its id, or the id a group opened by this order will take), so the answer can be written in the
    order's own statement: sequence numbers drawn for an order that is refused are simply skipped."""
    read = _WHO
    if not from_cart:
        for_sale = deals_for_sale_subquery(dialect_name, single=single)
        read = read.add_columns(*for_sale.c).outerjoin(for_sale, true())
        if single and dialect_name == "postgresql":
            read = read.add_columns(
                _next_id(Order).label("new_order_id"),
                _next_id(OrderLine).label("new_line_id"),
                func.coalesce(Group.id, _next_id(Group)).label("group_id"),  # COALESCE draws only when needed
            ).outerjoin(Group, (Group.leader_id == Leader.id) & (Group.deal_id == bindparam("deal_id")))
    return with_coupon(cast(Any, read), user_id=User.id, leader_id=Leader.id) if coupon else read


TAKE_CART = (
    delete(CartItem).where(CartItem.user_id == bindparam("user_id")).returning(CartItem.deal_id, CartItem.quantity)
)
CLEAR_CART_LINES = delete(CartItem).where(
    CartItem.user_id == bindparam("user_id"), CartItem.deal_id.in_(bindparam("deal_ids", expanding=True))
)
ADD_LINES = insert(OrderLine).returning(OrderLine.id, sort_by_parameter_order=True)
ADD_PLACED_EVENT = insert(OrderTimelineEvent)


def _counted(statement: Any) -> Any:
    """Count units against the per-user limit (bound ``per_user_limit``: not a deal column's name, see
    place_single_line): a new row, or the units added to it only while the sum stays within the limit."""
    return statement.on_conflict_do_update(
        index_elements=["user_id", "deal_id"],
        set_={"quantity": UserDealPurchase.quantity + statement.excluded.quantity},
        where=UserDealPurchase.quantity + statement.excluded.quantity <= bindparam("per_user_limit"),
    ).returning(UserDealPurchase.quantity)


@functools.cache
def count_limit(dialect_name: str) -> Any:
    """The limit counted for one deal, a statement of its own (bound ``user_id``, ``deal_id``, ``quantity``)."""
    return _counted(upsert_insert(dialect_name, UserDealPurchase))


def _count_limit_after(gate: CTE) -> Any:
    """count_limit for the single-line statement (bound ``shopper_id`` for the user), run only once ``gate`` has
    returned a row."""
    columns = UserDealPurchase.__table__.c
    row = select(
        bindparam("shopper_id", type_=columns.user_id.type),
        bindparam("deal_id", type_=columns.deal_id.type),
        bindparam("quantity", type_=columns.quantity.type),
    ).where(exists(gate.select()))
    return _counted(postgresql.insert(UserDealPurchase).from_select(["user_id", "deal_id", "quantity"], row))


_ORDER_COLUMNS = [c for c in Order.__table__.columns if not c.primary_key]
_EVENT_COLUMNS = ["event", "from_status", "to_status", "actor", "note", "at"]


def _bound(columns: Any, prefix: str, names: Any) -> dict[str, Any]:
    return {k: bindparam(f"{prefix}{k}", type_=columns[k].type) for k in names}


def _order_cte(values: dict[str, Any], *, after: CTE | None = None) -> CTE:
    """The order, unless its number is taken (no row then), as a WITH of a larger statement; with ``after``, only
    once that WITH has returned a row."""
    if after is None:
        insert_order = postgresql.insert(Order).values(values)
    else:
        row = select(*values.values()).where(exists(after.select()))
        insert_order = postgresql.insert(Order).from_select(list(values), row)
    return insert_order.on_conflict_do_nothing().returning(Order.id).cte("placed_order")


def _placed_event(order: CTE, values: dict[str, Any]) -> Any:
    """The order's `place` timeline row (``values`` by column), written only with the order."""
    return insert(OrderTimelineEvent).from_select(
        ["order_id", *_EVENT_COLUMNS], select(order.c.id, *(values[k] for k in _EVENT_COLUMNS))
    )


@functools.cache
def add_order(dialect_name: str) -> Any:
    """Insert an order unless its number is taken: a clash returns no row, not an error.

    PostgreSQL: with its `place` timeline row in the same statement (a data-modifying WITH), one round trip; the
    timeline row's values are bound as ``event_<column>``. SQLite (in-process, no round trips to save): the
    order alone, and `_insert_order` adds the timeline row.
    """
    if dialect_name != "postgresql":
        return upsert_insert(dialect_name, Order).on_conflict_do_nothing().returning(Order.id)
    order = _order_cte(_bound(Order.__table__.c, "", (c.key for c in _ORDER_COLUMNS)))
    event = _placed_event(order, _bound(OrderTimelineEvent.__table__.c, "event_", _EVENT_COLUMNS))
    return event.returning(OrderTimelineEvent.order_id)


# What checkout decides of a one-line order and of its line, bound as ``o_<column>`` and ``l_<column>`` in
# place_single_line. Every other column holds the same for every such order and is written into the statement's
# text: psycopg converts a statement of more than 50 values or 4,096 bytes anew on every execution.
ONE_LINE_ORDER_BOUND = (
    *("order_no", "user_id", "leader_id", "fulfilment", "address", "items_fen", "delivery_fee_fen"),
    *("discount_fen", "coupon_id", "payable_fen", "pickup_date", "pay_before", "created_at"),
)
ONE_LINE_LINE_BOUND = (
    "product_name",
    "spec",
    "unit_price_fen",
    "line_total_fen",
    "discount_fen",
    "price_kind",
    "price_tier",
)


def _written(value: Any, type_: Any) -> Any:
    """``value`` as SQL text (a constant of the statement, not a bound value)."""
    if value is None:
        return null()
    text = literal(value, type_).compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})  # type: ignore[no-untyped-call]
    return literal_column(str(text))


def _one_line_values() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The order's, its timeline row's and its line's values in place_single_line, by column."""
    orders, events, lines = Order.__table__.c, OrderTimelineEvent.__table__.c, OrderLine.__table__.c
    order = {c.key: _written(ORDER_DEFAULTS.get(c.key), c.type) for c in _ORDER_COLUMNS}
    order |= _bound(orders, "o_", ONE_LINE_ORDER_BOUND)
    order["status"] = _written(OrderStatus.PENDING_PAYMENT, orders.status.type)
    order["updated_at"] = order["created_at"]
    event = {
        "event": _written(OrderEvent.PLACE, events.event.type),
        "from_status": null(),
        "to_status": _written(OrderStatus.PENDING_PAYMENT, events.to_status.type),
        **_bound(events, "e_", ("actor", "note")),
        "at": order["created_at"],
    }
    line = {k: _written(v, lines[k].type) for k, v in LINE_DEFAULTS.items()} | _bound(lines, "l_", ONE_LINE_LINE_BOUND)
    line |= {"deal_id": bindparam("deal_id", type_=lines.deal_id.type), "pickup_date": order["pickup_date"]}
    line["quantity"] = bindparam("quantity", type_=lines.quantity.type)
    return order, event, line


@functools.cache
def place_single_line(*, coupon: bool, keep: bool, clear_cart: bool, drawn: bool) -> Any:
    """A one-line order in one statement (PostgreSQL, a data-modifying WITH): with ``keep`` the idempotency key
    and its answer first, then the order and its timeline row, the limit counted, the coupon locked (with
    ``coupon``), the group joined, the stock taken and the line, and with ``clear_cart`` the deal's cart line
    cleared.

    Each write runs only once the one before it has returned a row, so the rows are locked in the order the
    separate statements take them: the key, the shopper's own rows, then the group, then the deal (the hottest
    row, held for the shortest time). A refusal raises (refused_unless: ``idempotency_key_taken``,
    ``limit_exceeded``, ``coupon_unavailable``, ``group_closed``, ``deal_sold_out``, and ``group_moved`` when the
    deal's group was opened by another order since the first read drew its id), so nothing at all is written: the
    statement is atomic by itself and needs no transaction. A taken order number writes nothing either: it raises
    ``order_no_taken`` after a key, else the statement answers ``placed`` false.

    ``drawn``: the ids were drawn beforehand (first_read) and are bound: the order's ``o_id``, the line's
    ``l_id``, ``group_id``; else the sequences give them. Bound besides: ``o_<column>`` (ONE_LINE_ORDER_BOUND),
    ``e_actor`` and ``e_note``, ``shopper_id``, ``deal_id``, ``quantity`` and ``per_user_limit`` (the limit),
    ``wallet_id``, ``owner_id`` and ``at`` (the coupon), ``leader_id`` and ``now`` (the group), ``l_<column>``
    (ONE_LINE_LINE_BOUND), the key's ``k_<column>`` (OwnKey.row). No name may be a column of a table the statement
    UPDATEs (deals, user_coupons): SQLAlchemy would add it to that UPDATE's SET. The one row answers ``placed``,
    ``stock_left``, ``order_id``, ``group_id`` and ``line_id``.
    """
    order_values, event_values, line_values = _one_line_values()
    if drawn:
        order_values["id"] = bindparam("o_id", type_=BigInteger)
        line_values["id"] = bindparam("l_id", type_=BigInteger)
    key = keep_key_first() if keep else None
    order = _order_cte(order_values, after=key)
    gate = counted = _count_limit_after(order).cte("counted")
    locked = None
    if coupon:
        gate = locked = lock_coupon_after(counted, order_id=select(order.c.id).scalar_subquery()).cte("coupon")
    group = join_group_after(gate, drawn_id=drawn).cte("joined_group")
    stock = take_stock_after(group).cte("stock_taken")
    line = (
        insert(OrderLine)
        .from_select(
            ["order_id", "group_id", *line_values],
            select(order.c.id, group.c.id, *line_values.values())
            .select_from(order)
            .join(group, true())
            .join(stock, true()),
        )
        .returning(OrderLine.id)
        .cte("placed_line")
    )
    refusals = []
    if key is not None:  # the key is written before the order: a taken number must undo it
        refusals += [(~exists(key.select()), "idempotency_key_taken"), (~exists(order.select()), "order_no_taken")]
    refusals.append((~exists(counted.select()), "limit_exceeded"))
    if locked is not None:
        refusals.append((~exists(locked.select()), "coupon_unavailable"))
    refusals.append((~exists(group.select()), "group_closed"))
    if drawn:
        moved = select(group.c.id).scalar_subquery() != bindparam("group_id", type_=BigInteger)
        refusals.append((moved, "group_moved"))
    refusals += [(~exists(stock.select()), "deal_sold_out"), (~exists(line.select()), "line_not_written")]
    verdict = refused_unless(*refusals)
    placed = verdict if key is not None else case((exists(order.select()), verdict), else_=false())
    statement = select(
        placed.label("placed"),
        *(
            select(column).scalar_subquery().label(name)
            for name, column in (
                ("stock_left", stock.c.stock_available),
                ("order_id", order.c.id),
                ("group_id", group.c.id),
                ("line_id", line.c.id),
            )
        ),
    ).add_cte(_placed_event(order, event_values).cte("placed_event"))
    if clear_cart:  # the deal's line in the shopper's cart, if any: ordered now
        cleared = delete(CartItem).where(
            CartItem.user_id == bindparam("shopper_id"), CartItem.deal_id == bindparam("deal_id"), exists(line.select())
        )
        statement = statement.add_cte(cleared.cte("cleared_cart"))
    updated = {c.key for c in Deal.__table__.columns} | {c.key for c in UserCoupon.__table__.columns}
    clashing = updated & set(statement.compile(dialect=postgresql.dialect()).params)  # type: ignore[no-untyped-call]
    if clashing:  # SQLAlchemy would SET these columns from the values bound under their names
        raise TypeError(f"place_single_line binds column names of tables it updates: {sorted(clashing)}")
    return statement


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
