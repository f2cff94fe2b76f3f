"""Goods arriving at a leader's pickup point for one pickup date: shortages refunded, the rest ready for pickup.

Recorded once per leader and pickup date (``arrivals`` is unique on both: a repeat, or a second arrival racing
the first, is a 409 and refunds nothing). Fewer units of a deal than were shipped: the shortage is taken from
the latest orders first (newest order, its newest line) and exactly those units are refunded through
refund_lines_of_orders (reason ``shortage``); an order with no unit left moves to refunding there. The other
shipped orders move to ready_for_pickup. Each shortage is kept in ``arrival_shortages`` for CS and the supplier.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus, RefundReason
from groupbuy.orders.models import Arrival, ArrivalShortage, Order, OrderLine
from groupbuy.orders.service.bulk import move_orders
from groupbuy.orders.service.line_refunds import OrderRefundOutcome, refund_lines_of_orders


@dataclass(frozen=True)
class ReadyOrder:
    order_id: int
    user_id: int
    order_no: str
    pickup_code: str | None
    fulfilment: Fulfilment


@dataclass(frozen=True)
class Shortage:
    deal_id: int
    product_name: str
    ordered: int
    received: int
    refunded_fen: int
    orders_affected: int


@dataclass(frozen=True)
class Receipt:
    """What one arrival did: orders now ready, shortage refunds (one per order), shortages per deal."""

    arrival_id: int
    leader_id: int
    pickup_date: date
    ready: tuple[ReadyOrder, ...]
    refunds: tuple[OrderRefundOutcome, ...]
    shortages: tuple[Shortage, ...]


def receive_goods(
    *, leader_id: int, pickup_date: date, received: Mapping[int, int], actor: str, now: datetime
) -> Receipt:
    """The leader's shipped orders for ``pickup_date`` arrived; ``received`` = {deal_id: units} (a deal left out
    arrived in full). Shortages are refunded latest orders first, exactly the missing units; once per date."""
    with transaction():
        arrival = _record_arrival(leader_id, pickup_date, actor, now)
        orders = {
            r.id: r
            for r in db.session.execute(
                select(Order.id, Order.user_id, Order.order_no, Order.pickup_code, Order.fulfilment, Order.created_at)
                .where(
                    Order.leader_id == leader_id,
                    Order.pickup_date == pickup_date,
                    Order.status == OrderStatus.SHIPPED,
                )
                .order_by(Order.id)
                .with_for_update(of=Order)
            )
        }
        if not orders:
            raise Conflict("nothing_shipped")
        lines: list[Any] = db.session.execute(
            select(
                OrderLine.id,
                OrderLine.order_id,
                OrderLine.deal_id,
                OrderLine.product_name,
                OrderLine.quantity - OrderLine.refunded_quantity,
            )
            .where(OrderLine.order_id.in_(list(orders)), OrderLine.status == LineStatus.ACTIVE)
            .order_by(OrderLine.id)
        ).all()  # type: ignore[assignment]  # rows, read by name and position
        ordered: Counter[int] = Counter()
        for line in lines:
            ordered[line.deal_id] += line[4]
        _check_received(received, ordered)
        requests = _allocate_shortages(lines, orders, received, ordered)
        refunds = refund_lines_of_orders(
            requests=requests, reason=RefundReason.SHORTAGE, actor=actor, now=now, strict=True
        )
        gone = {r.order_id for r in refunds if r.whole_order}
        moved = move_orders(
            order_ids=[i for i in orders if i not in gone],
            event=OrderEvent.ARRIVE,
            from_status=OrderStatus.SHIPPED,
            now=now,
            actor=actor,
            notify=False,  # the arrival flow tells each shopper, shortages included
        )
        shortages = _record_shortages(arrival, lines, refunds, received, ordered, now)
        arrival.orders_ready = len(moved)
        ready = tuple(
            ReadyOrder(
                order_id=m.order_id,
                user_id=m.user_id,
                order_no=m.order_no,
                pickup_code=m.pickup_code,
                fulfilment=orders[m.order_id].fulfilment,
            )
            for m in sorted(moved, key=lambda m: m.order_id)
        )
        return Receipt(
            arrival_id=arrival.id,
            leader_id=leader_id,
            pickup_date=pickup_date,
            ready=ready,
            refunds=tuple(refunds),
            shortages=shortages,
        )


def _record_arrival(leader_id: int, pickup_date: date, actor: str, now: datetime) -> Arrival:
    """The arrival row first: the unique (leader, date) makes a repeat or a racing second arrival a 409."""
    earlier = db.session.scalar(
        select(Arrival.created_at).where(Arrival.leader_id == leader_id, Arrival.pickup_date == pickup_date)
    )
    if earlier is None:
        arrival = Arrival(
            leader_id=leader_id, pickup_date=pickup_date, orders_ready=0, actor=actor[:40], created_at=now
        )
        try:
            with db.session.begin_nested():
                db.session.add(arrival)
                db.session.flush()  # the unique key is checked here: the loser of a race stops now
            return arrival
        except IntegrityError:
            earlier = db.session.scalar(
                select(Arrival.created_at).where(Arrival.leader_id == leader_id, Arrival.pickup_date == pickup_date)
            )
    at = earlier.isoformat() if earlier is not None else ""
    raise Conflict(
        "arrival_already_recorded",
        detail=(
            f"{pickup_date.isoformat()} 的到货已于 {at} 登记",
            f"Goods for {pickup_date.isoformat()} arrived at {at}",
        ),
    )


def _check_received(received: Mapping[int, int], ordered: Counter[int]) -> None:
    problems = []
    for deal_id, quantity in sorted(received.items()):
        if deal_id not in ordered:
            problems.append(f"Deal {deal_id}: nothing of it was shipped to you for this pickup date.")
        elif quantity > ordered[deal_id]:
            problems.append(f"Deal {deal_id}: {quantity} received is more than the {ordered[deal_id]} units shipped.")
    if problems:
        raise Invalid(errors={"lines": problems})


def _allocate_shortages(
    lines: list[Any], orders: Mapping[int, Any], received: Mapping[int, int], ordered: Counter[int]
) -> dict[int, list[tuple[int, int]]]:
    """Missing units of each deal taken from the latest orders first (newest order, then its newest line)."""
    requests: dict[int, list[tuple[int, int]]] = defaultdict(list)
    latest_first = sorted(lines, key=lambda ln: (orders[ln.order_id].created_at, ln.order_id, ln.id), reverse=True)
    for deal_id, got in sorted(received.items()):
        short = ordered[deal_id] - got
        for line in latest_first:
            if short <= 0:
                break
            if line.deal_id != deal_id:
                continue
            take = min(short, line[4])
            requests[line.order_id].append((line.id, take))
            short -= take
    return requests


def _record_shortages(
    arrival: Arrival,
    lines: list[Any],
    refunds: list[OrderRefundOutcome],
    received: Mapping[int, int],
    ordered: Counter[int],
    now: datetime,
) -> tuple[Shortage, ...]:
    deal_of = {line.id: line.deal_id for line in lines}
    name_of = {line.deal_id: line.product_name for line in lines}
    fen: Counter[int] = Counter()
    affected: dict[int, set[int]] = defaultdict(set)
    for refund in refunds:
        for refunded in refund.lines:
            fen[deal_of[refunded.line_id]] += refunded.amount_fen
            affected[deal_of[refunded.line_id]].add(refund.order_id)
    shortages = []
    for deal_id, got in sorted(received.items()):
        if got >= ordered[deal_id]:
            continue
        db.session.add(
            ArrivalShortage(
                arrival_id=arrival.id,
                leader_id=arrival.leader_id,
                pickup_date=arrival.pickup_date,
                deal_id=deal_id,
                ordered_quantity=ordered[deal_id],
                received_quantity=got,
                refunded_quantity=ordered[deal_id] - got,
                refunded_fen=fen[deal_id],
                orders_affected=len(affected[deal_id]),
                created_at=now,
            )
        )
        shortages.append(
            Shortage(
                deal_id=deal_id,
                product_name=name_of[deal_id],
                ordered=ordered[deal_id],
                received=got,
                refunded_fen=fen[deal_id],
                orders_affected=len(affected[deal_id]),
            )
        )
    return tuple(shortages)
