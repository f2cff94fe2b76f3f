"""Checkout's writes, once its checks have passed: the limits counted, the order with its timeline row, the coupon
locked, the groups joined, the stock taken and the lines; step by step in the caller's transaction (a refusal
raises its Conflict and the transaction rolls everything back), or for a one-line order on PostgreSQL in one
statement (checkout_sql.place_single_line: the common order) that needs no transaction: it refuses as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from groupbuy.catalog.service import DealForSale, reserve_deal_stock, stock_taken
from groupbuy.coupons.service import lock_coupon
from groupbuy.errors import Conflict
from groupbuy.groups.service import join_group
from groupbuy.idempotency.service import KeyTaken, OwnKey
from groupbuy.notifications.templates import yuan
from groupbuy.orders.enums import Fulfilment, OrderEvent, OrderStatus
from groupbuy.orders.service.checkout_sql import (
    ADD_LINES,
    ADD_PLACED_EVENT,
    LINE_DEFAULTS,
    ONE_LINE_LINE_BOUND,
    ONE_LINE_ORDER_BOUND,
    ORDER_DEFAULTS,
    add_order,
    count_limit,
    place_single_line,
)
from groupbuy.orders.service.numbers import new_order_no
from groupbuy.orders.service.pricing import Price
from groupbuy.prebuilt import refusal_of, run_prebuilt
from groupbuy.settings import settings


def _limit_exceeded(deal: DealForSale) -> Conflict:
    return Conflict(
        "limit_exceeded", detail=(f"每人限购 {deal.limit_per_user} 件", f"At most {deal.limit_per_user} per person")
    )


def count_limits(conn: Any, user_id: int, wanted: list[tuple[DealForSale, int]], *, in_db: bool) -> None:
    """Each line within its deal's per-person limit; ``in_db``: also counted against earlier orders (else the
    single-line statement counts it)."""
    statement = count_limit(conn.dialect.name)
    for deal, quantity in wanted:
        if quantity > deal.limit_per_user:
            raise _limit_exceeded(deal)
        params = {"user_id": user_id, "deal_id": deal.id, "quantity": quantity, "per_user_limit": deal.limit_per_user}
        if in_db and not conn.execute(statement, params).first():
            raise _limit_exceeded(deal)


def order_columns(
    *,
    user_id: int,
    leader_id: int,
    fulfilment: Fulfilment,
    address: dict | None,  # type: ignore[type-arg]
    pickup_date: date,
    items_fen: int,
    delivery_fee: int,
    discount: int,
    coupon: tuple[int, str] | None,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order's columns (its number drawn when written) and its `place` timeline row."""
    window = timedelta(minutes=settings().payment_window_minutes)
    columns: dict[str, Any] = {
        **ORDER_DEFAULTS,
        "user_id": user_id,
        "leader_id": leader_id,
        "status": OrderStatus.PENDING_PAYMENT,
        "fulfilment": fulfilment,
        "address": address,
        "items_fen": items_fen,
        "delivery_fee_fen": delivery_fee,
        "discount_fen": discount,
        "coupon_id": coupon[0] if coupon else None,
        "pickup_date": pickup_date,
        "pay_before": now + window,
        "created_at": now,
        "updated_at": now,
    }
    columns["payable_fen"] = items_fen + delivery_fee - columns["discount_fen"]
    placed: dict[str, Any] = {
        "event": OrderEvent.PLACE,
        "from_status": None,
        "to_status": OrderStatus.PENDING_PAYMENT,
        "actor": f"user:{user_id}",
        "note": f"使用优惠券「{coupon[1]}」，优惠 {yuan(discount)}"[:500] if coupon else None,
        "at": now,
    }
    return columns, placed


_ORDER_NO_TRIES = 5  # random numbers: a clash is rare, five in a row would mean the day's numbers run out


def _insert_order(conn: Any, columns: dict[str, Any], placed: dict[str, Any]) -> int:
    """Insert the order and its `place` timeline row (drawing the order's number); the order's id."""
    together = conn.dialect.name == "postgresql"  # the timeline row goes in the order's own statement
    statement = add_order(conn.dialect.name)
    params = {**columns, **({f"event_{k}": v for k, v in placed.items()} if together else {})}
    for _ in range(_ORDER_NO_TRIES):
        params["order_no"] = columns["order_no"] = new_order_no(columns["created_at"])
        order_id = conn.execute(statement, params).scalar()
        if order_id is not None:
            break
    else:
        raise Conflict("order_no_exhausted")
    placed["order_id"] = order_id
    if not together:
        conn.execute(ADD_PLACED_EVENT, placed)
    return int(order_id)


def place_step_by_step(
    conn: Any,
    columns: dict[str, Any],
    placed: dict[str, Any],
    who: Any,
    wanted: list[tuple[DealForSale, int]],
    prices: dict[int, Price],
    discounts: list[int],
) -> tuple[int, list[dict[str, Any]], list[int]]:
    """The order, its timeline row, coupon, groups, stock and lines, a statement each; the order's id, its lines
    and their ids."""
    order_id = _insert_order(conn, columns, placed)
    coupon_id, user_id, now = columns["coupon_id"], columns["user_id"], columns["created_at"]
    if coupon_id is not None:  # the shopper's own row: taken before the shared groups and deals
        lock_coupon(coupon_id=coupon_id, user_id=user_id, order_id=order_id, now=now)
    # The contended rows are locked last, so they are held only until the commit: every group first, then
    # every deal's stock (the hottest rows, shared by all leaders). The closing job holds groups and then
    # gives stock back; a checkout holding a deal's row therefore never waits on a group: no deadlock.
    groups = [join_group(leader_id=who.leader_id, deal_id=deal.id, quantity=q, now=now) for deal, q in wanted]
    lines = []
    for (deal, quantity), group_id, discount in zip(wanted, groups, discounts, strict=True):
        if not reserve_deal_stock(deal_id=deal.id, quantity=quantity):
            raise Conflict("deal_sold_out")
        lines.append(_line(order_id, deal, group_id, quantity, prices[deal.id], discount))
    return order_id, lines, list(conn.execute(ADD_LINES, lines).scalars())


class GroupMoved(Exception):
    """The deal's group was opened by another order after checkout's first read: read again and retry."""


def _refusal(reason: str, deal: DealForSale) -> Exception:
    """What place_single_line's refusal means here."""
    if reason == "idempotency_key_taken":
        return KeyTaken()
    if reason == "group_moved":
        return GroupMoved()
    if reason == "limit_exceeded":
        return _limit_exceeded(deal)
    if reason in ("coupon_unavailable", "group_closed", "deal_sold_out"):
        return Conflict(reason)
    return RuntimeError(f"place_single_line refused: {reason}")  # line_not_written: a bug, never a shopper's 409


def place_one_line(
    conn: Any,
    columns: dict[str, Any],
    placed: dict[str, Any],
    wanted: tuple[DealForSale, int, Price, int],
    *,
    ids: tuple[int, int, int] | None,
    clear_cart: bool = False,
    keep: OwnKey | None = None,
    answer: Callable[[dict[str, Any]], tuple[int, str]] | None = None,
) -> dict[str, Any]:
    """A one-line order in one statement (PostgreSQL; checkout_sql.place_single_line), ``wanted`` being (deal,
    quantity, price, discount); the line written (with its ``id`` and ``order_id``). ``ids``: the order's, the
    line's and the group's, drawn by the first read (else the sequences give them). With ``keep``: ``answer`` of
    the line (status, JSON text; called once the order's number is drawn) is kept under that key in the same
    statement. Atomic by itself: a refusal raises and leaves nothing written, a taken key raises KeyTaken, a group
    opened meanwhile by another order GroupMoved."""
    deal, quantity, price, discount = wanted
    order_id, line_id, group_id = ids or (0, 0, 0)
    line = _line(order_id, deal, group_id, quantity, price, discount)
    now = columns["created_at"]
    params = {
        **{f"o_{k}": columns[k] for k in ONE_LINE_ORDER_BOUND if k != "order_no"},  # drawn below
        **{f"l_{k}": line[k] for k in ONE_LINE_LINE_BOUND},
        "e_actor": placed["actor"],
        "e_note": placed["note"],
        "shopper_id": columns["user_id"],
        "deal_id": deal.id,
        "quantity": quantity,
        "per_user_limit": deal.limit_per_user,
        "leader_id": columns["leader_id"],
        "now": now,
    }
    if ids is not None:
        params |= {"o_id": order_id, "l_id": line_id, "group_id": group_id}
        line["id"] = line_id
    if columns["coupon_id"] is not None:
        params |= {"wallet_id": columns["coupon_id"], "owner_id": columns["user_id"], "at": now}
    statement = place_single_line(
        coupon=columns["coupon_id"] is not None, keep=keep is not None, clear_cart=clear_cart, drawn=ids is not None
    )
    body = None
    for _ in range(_ORDER_NO_TRIES):
        params["o_order_no"] = columns["order_no"] = new_order_no(now)
        if keep is not None and answer is not None:
            status, body = answer(line)
            params |= keep.row(status, body)
        try:
            (row,) = run_prebuilt(conn, statement, params)
        except DBAPIError as error:
            reason = refusal_of(error)
            if reason is None:
                raise
            if reason == "order_no_taken":  # nothing was written: draw another number
                continue
            raise _refusal(reason, deal) from None
        if row.placed:
            break  # else the number was taken and nothing was written: draw another
    else:
        raise Conflict("order_no_exhausted")
    stock_taken(row.stock_left)
    placed["order_id"] = line["order_id"] = row.order_id
    line |= {"group_id": row.group_id, "id": row.line_id}
    if keep is not None and body is not None:
        keep.kept(body)
    return line


def _line(
    order_id: int, deal: DealForSale, group_id: int, quantity: int, price: Price, discount: int
) -> dict[str, Any]:
    unit_price, kind, tier = price
    return {
        **LINE_DEFAULTS,
        "order_id": order_id,
        "deal_id": deal.id,
        "group_id": group_id,
        "product_name": deal.product_name,
        "spec": deal.spec,
        "unit_price_fen": unit_price,
        "quantity": quantity,
        "line_total_fen": unit_price * quantity,
        "discount_fen": discount,
        "pickup_date": deal.pickup_date,
        "price_kind": kind,
        "price_tier": tier,
    }
