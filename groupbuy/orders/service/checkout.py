"""Checkout: a cart (or explicit items) becomes one order per leader, with stock, limits and groups reserved.

The hot path of the product, so it runs prebuilt Core statements (checkout_sql.py): one read for the shopper,
their leader and the deals ordered, then the conditional writes (checkout_write.py). A one-line order on
PostgreSQL is written in one statement that refuses as a whole, so it runs in autocommit (no BEGIN, no COMMIT),
with its idempotency key and answer in that same statement (``keep``: the HTTP door's OwnKey, see
idempotency.service.answer_once); every other order in one transaction, its key kept in it. The
order it returns is a PlacedOrder built from what was written, not read back: building transient models cost a
tenth of the request's Python time (measured with py-spy). The columns checkout does not decide take the model's
own defaults (`checkout_sql.column_defaults`); tests/orders/test_checkout_fast_path.py holds the answer to a later
GET of the same order and pins the statements a checkout costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, cast

from groupbuy.accounts.enums import Tier
from groupbuy.catalog.service import DealForSale, deals_for_sale, deals_for_sale_of
from groupbuy.coupons.service import CouponTerms, PricedLine, line_discounts
from groupbuy.db import alone, connection, db, in_unit_of_work, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.idempotency.service import OwnKey
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus, PriceKind, RefundReason
from groupbuy.orders.service.checkout_sql import CLEAR_CART_LINES, TAKE_CART, first_read
from groupbuy.orders.service.checkout_write import (
    GroupMoved,
    count_limits,
    order_columns,
    place_one_line,
    place_step_by_step,
)
from groupbuy.orders.service.delivery import delivery_address
from groupbuy.orders.service.pricing import Price, prices_for
from groupbuy.prebuilt import run_prebuilt
from groupbuy.settings import settings


@dataclass(frozen=True, slots=True)
class PlacedLine:
    id: int
    deal_id: int
    group_id: int
    product_name: str
    spec: str
    unit_price_fen: int
    quantity: int
    line_total_fen: int
    discount_fen: int
    pickup_date: date
    status: LineStatus
    refund_reason: RefundReason | None
    refunded_quantity: int
    refunded_fen: int
    price_kind: PriceKind
    price_tier: Tier | None
    kept_refund_fen: int = 0


@dataclass(frozen=True, slots=True)
class PlacedEvent:
    event: OrderEvent
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """An order as checkout wrote it, with the fields of an Order that OrderSchema shows."""

    id: int
    order_no: str
    status: OrderStatus
    fulfilment: Fulfilment
    leader_id: int
    address: dict[str, Any] | None
    items_fen: int
    delivery_fee_fen: int
    discount_fen: int
    coupon_id: int | None
    payable_fen: int
    paid_fen: int
    refund_due_fen: int
    refunded_fen: int
    pickup_date: date
    pickup_code: str | None
    pay_before: datetime
    paid_at: datetime | None
    created_at: datetime
    lines: list[PlacedLine]
    events: list[PlacedEvent]


@dataclass(frozen=True)
class CheckoutItem:
    deal_id: int
    quantity: int


def _merge(items: list[CheckoutItem]) -> list[CheckoutItem]:
    """Same deal twice becomes one line; sorted by deal so concurrent checkouts lock rows in one order."""
    totals: dict[int, int] = {}
    for item in items:
        totals[item.deal_id] = totals.get(item.deal_id, 0) + item.quantity
    merged = [CheckoutItem(deal_id=d, quantity=q) for d, q in sorted(totals.items())]
    for item in merged:
        if not 1 <= item.quantity <= 99:
            raise Invalid(errors={"items": [f"deal {item.deal_id}: quantity must be 1-99"]})
    return merged


def _check_deals(
    merged: list[CheckoutItem], now: datetime, deals: dict[int, DealForSale] | None
) -> list[tuple[DealForSale, int]]:
    """The deals ordered, each on sale with enough stock left; ``deals`` as read already, or None to read them."""
    if deals is None:
        deals = deals_for_sale(deal_ids=[i.deal_id for i in merged], now=now)
    wanted = []
    for item in merged:
        deal = deals.get(item.deal_id)
        if deal is None:
            raise Invalid(errors={"items": [f"deal {item.deal_id} does not exist"]})
        if not deal.on_sale:
            raise Conflict("deal_closed")
        if deal.stock_available < item.quantity:  # a lock-free early "no"; the UPDATE below decides
            raise Conflict("deal_sold_out")
        wanted.append((deal, item.quantity))
    return wanted


def place_order(
    *,
    user_id: int,
    items: list[CheckoutItem] | None,
    from_cart: bool,
    fulfilment: Fulfilment,
    address_id: int | None,
    leader_id: int | None,
    now: datetime,
    coupon_id: int | None = None,
    keep: OwnKey | None = None,
    answer: Callable[[PlacedOrder], tuple[int, str]] | None = None,
) -> PlacedOrder:
    """Reserve limit, stock and group units per line, all or nothing: any refusal leaves nothing behind.

    With ``coupon_id``: the coupon is read with the shopper, validated, its discount spread over the lines
    (``discount_fen`` each) and locked by the order with one conditional UPDATE. With ``keep``: ``answer`` of the
    order (its status and JSON text) is kept under that idempotency key with the order, in the same statement or
    transaction (KeyTaken if the key was kept already; nothing is written then).

    One deal ordered as items on PostgreSQL, outside any open unit of work (the common order): the first read and
    one statement, each standing alone (db.alone: autocommit, no BEGIN or COMMIT); the statement refuses as a
    whole. Every other order in one transaction: a one-line order (from the cart, say) as the same one statement
    on PostgreSQL, a longer one step by step.
    """
    if (keep is None) != (answer is None):
        raise TypeError("place_order: keep and answer go together")
    params: dict[str, Any] = {"user_id": user_id, "leader_id": leader_id, "coupon_id": coupon_id}
    deal_ids = sorted({item.deal_id for item in items or ()})
    single = not from_cart and len(deal_ids) == 1
    if single:
        params["deal_id"] = deal_ids[0]
    elif not from_cart:
        params["deal_ids"] = deal_ids
    asked = _Asked(user_id, items, from_cart, fulfilment, address_id, coupon_id, now)
    if single and db.engine.dialect.name == "postgresql" and not in_unit_of_work():
        for _ in range(2):  # a second time only if another order opened the deal's group meanwhile
            with alone() as conn:
                try:
                    return _place_at_once(conn, asked, params, keep, answer)
                except GroupMoved:
                    continue
        raise Conflict("group_closed")  # not seen: the second read finds the group the first one missed
    with transaction():
        conn = connection()
        one_statement = conn.dialect.name == "postgresql"  # for one line: checkout_sql.place_single_line
        plan = _plan(conn, run_prebuilt(conn, _read_for(conn, asked, single), params), asked)
        if one_statement and len(plan.wanted) == 1:
            ((deal, quantity),) = plan.wanted
            wanted = (deal, quantity, plan.prices[deal.id], plan.discounts[0])
            line = place_one_line(conn, plan.columns, plan.placed, wanted, ids=None)
            order_id, lines, line_ids = line["order_id"], [line], [line["id"]]
        else:
            count_limits(conn, user_id, plan.wanted, in_db=True)
            order_id, lines, line_ids = place_step_by_step(
                conn, plan.columns, plan.placed, plan.who, plan.wanted, plan.prices, plan.discounts
            )
        if not from_cart and plan.who.has_cart:
            conn.execute(CLEAR_CART_LINES, {"user_id": user_id, "deal_ids": [i.deal_id for i in plan.merged]})
        order = _placed_order(plan, order_id, lines, line_ids)
        if keep is not None and answer is not None:
            keep.keep_in(*answer(order))
        return order


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the shopper asked for."""

    user_id: int
    items: list[CheckoutItem] | None
    from_cart: bool
    fulfilment: Fulfilment
    address_id: int | None
    coupon_id: int | None
    now: datetime


@dataclass(frozen=True, slots=True)
class _Plan:
    """An order checked and priced, ready to be written."""

    who: Any
    merged: list[CheckoutItem]
    wanted: list[tuple[DealForSale, int]]
    prices: dict[int, Price]
    discounts: list[int]
    columns: dict[str, Any]
    placed: dict[str, Any]


def _read_for(conn: Any, asked: _Asked, single: bool) -> Any:
    return first_read(conn.dialect.name, from_cart=asked.from_cart, coupon=asked.coupon_id is not None, single=single)


def _place_at_once(
    conn: Any,
    asked: _Asked,
    params: dict[str, Any],
    keep: OwnKey | None,
    answer: Callable[[PlacedOrder], tuple[int, str]] | None,
) -> PlacedOrder:
    """A one-line order on PostgreSQL: the first read (with the ids the order will take), then one statement."""
    rows = run_prebuilt(conn, _read_for(conn, asked, True), params)
    plan = _plan(conn, rows, asked)
    ((deal, quantity),) = plan.wanted
    who = plan.who

    built: list[PlacedOrder] = []  # the order as answered: the last one built is the one written

    def answer_of(line: dict[str, Any]) -> tuple[int, str]:
        render = cast(Callable[[PlacedOrder], tuple[int, str]], answer)  # given whenever keep is
        built.append(_placed_order(plan, who.new_order_id, [line], [line["id"]]))
        return render(built[-1])

    line = place_one_line(
        conn,
        plan.columns,
        plan.placed,
        (deal, quantity, plan.prices[deal.id], plan.discounts[0]),
        ids=(who.new_order_id, who.new_line_id, who.group_id),
        clear_cart=bool(who.has_cart),
        keep=keep,
        answer=answer_of if answer is not None else None,
    )
    return built[-1] if built else _placed_order(plan, who.new_order_id, [line], [line["id"]])


def _plan(conn: Any, rows: list[Any], asked: _Asked) -> _Plan:
    """Check the first read's rows against what was asked (and take the cart, if ordering from it); the order's
    columns, lines and prices, each line within its deal's limit per order (counted against earlier orders by the
    writes that follow)."""
    if not rows:  # the caller's own account, checked a moment ago: gone only if closed meanwhile
        raise NotFound()
    who = rows[0]
    deals = None if asked.from_cart else deals_for_sale_of(rows, now=asked.now)
    if who.chosen_id is None:
        raise Invalid("leader_required", errors={"leader_id": ["choose a leader (pickup point) first"]})
    if who.leader_id is None or who.status is not LeaderStatus.ACTIVE:
        raise NotFound()
    if who.orders_paused:
        raise Conflict("leader_paused")
    items = asked.items
    if asked.from_cart:  # taken out of the cart now; a refusal rolls this back with everything else
        taken = conn.execute(TAKE_CART, {"user_id": asked.user_id})
        items = [CheckoutItem(deal_id=r.deal_id, quantity=r.quantity) for r in taken]
    if not items:
        raise Invalid("empty_order", errors={"items": ["nothing to order"]})
    merged = _merge(items)
    address = delivery_address(conn, asked.user_id, who, asked.fulfilment, asked.address_id)
    wanted = _check_deals(merged, asked.now, deals)
    prices = prices_for(conn, who, wanted)
    coupon_id = asked.coupon_id
    discounts = (
        _coupon_discounts(who, asked.user_id, wanted, prices, asked.now) if coupon_id is not None else [0] * len(wanted)
    )
    count_limits(conn, asked.user_id, wanted, in_db=False)  # counted in the database by the writes that follow
    items_fen = sum(prices[deal.id][0] * quantity for deal, quantity in wanted)
    delivery_fee = who.delivery_fee_fen if asked.fulfilment is Fulfilment.DELIVERY else 0
    limit = settings().max_order_payable_fen
    if items_fen + delivery_fee > limit:
        raise Conflict(
            "payable_over_limit",
            detail=(f"单笔订单金额不能超过 {limit / 100:.2f} 元", f"An order may not exceed ¥{limit / 100:.2f}"),
        )
    columns, placed = order_columns(
        user_id=asked.user_id,
        leader_id=who.leader_id,
        fulfilment=asked.fulfilment,
        address=address,
        pickup_date=max(deal.pickup_date for deal, _ in wanted),
        items_fen=items_fen,
        delivery_fee=delivery_fee,
        discount=sum(discounts),
        coupon=(coupon_id, who.coupon_name) if coupon_id is not None else None,
        now=asked.now,
    )
    return _Plan(who, merged, wanted, prices, discounts, columns, placed)


def _placed_order(plan: _Plan, order_id: int, lines: list[dict[str, Any]], line_ids: list[int]) -> PlacedOrder:
    return PlacedOrder(
        id=order_id,
        lines=[
            PlacedLine(id=line_id, **{k: v for k, v in line.items() if k not in ("order_id", "id")})
            for line, line_id in zip(lines, line_ids, strict=True)
        ],
        events=[PlacedEvent(**{k: v for k, v in plan.placed.items() if k != "order_id"})],
        **{k: plan.columns[k] for k in _SHOWN},
    )


_SHOWN = [f.name for f in fields(PlacedOrder) if f.name not in ("id", "lines", "events")]


def _coupon_discounts(
    who: Any, user_id: int, wanted: list[tuple[DealForSale, int]], prices: dict[int, Price], now: datetime
) -> list[int]:
    """The coupon's share of each line (on the price the shopper pays), or the refusal (its own code)."""
    return line_discounts(
        CouponTerms.of_row(who),
        [PricedLine(deal.id, deal.category_id, prices[deal.id][0] * quantity) for deal, quantity in wanted],
        user_id=user_id,
        first_order=bool(who.coupon_first_order),
        now=now,
    )
