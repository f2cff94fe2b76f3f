"""What shoppers are told when their orders move: the order's facts, handed to notifications (a sink)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from groupbuy.notifications.enums import NotificationKind as K
from groupbuy.notifications.service import OrderFacts, notify_order_events
from groupbuy.orders.enums import OrderEvent
from groupbuy.orders.models import Order

ORDER_EVENT_KINDS = {
    OrderEvent.PAY: K.ORDER_PAID,
    OrderEvent.EXPIRE: K.ORDER_EXPIRED,
    OrderEvent.CANCEL: K.ORDER_CANCELLED,
    OrderEvent.GROUP_FAIL: K.GROUP_FAILED,
    OrderEvent.ARRIVE: K.GOODS_ARRIVED,
    OrderEvent.OUT_FOR_DELIVERY: K.ORDER_OUT_FOR_DELIVERY,
    OrderEvent.DELIVER: K.ORDER_DELIVERED,
    OrderEvent.REFUND_DONE: K.REFUND_DONE,
}


# What facts_of reads: a bulk UPDATE ... RETURNING these columns yields rows facts_of accepts.
FACT_COLUMNS = (
    Order.id,
    Order.user_id,
    Order.order_no,
    Order.paid_fen,
    Order.refund_due_fen,
    Order.refunded_fen,
    Order.pickup_code,
    Order.pickup_date,
)


def facts_of(order: Order | Row[Any, *tuple[Any, ...]]) -> OrderFacts:
    """The facts a notice needs, from an order or a row with the same column names."""
    return OrderFacts(
        order_id=order.id,
        user_id=order.user_id,
        order_no=order.order_no,
        paid_fen=order.paid_fen,
        refund_due_fen=order.refund_due_fen,
        refunded_fen=order.refunded_fen,
        pickup_code=order.pickup_code,
        pickup_date=order.pickup_date,
    )


def tell_shoppers(*, facts: Sequence[OrderFacts], event: OrderEvent, now: datetime) -> int:
    """Each shopper's notice for an order event, once per order and event; other events notify nobody."""
    kind = ORDER_EVENT_KINDS.get(event)
    if kind is None:
        return 0
    return notify_order_events(facts=facts, kind=kind, event=event.value, now=now)


def tell_shopper(*, order: Order, event: OrderEvent, now: datetime) -> None:
    """The shopper's notice for one order transition (pay, expire, cancel, group_fail, arrive, out for delivery,
    deliver, refund_done)."""
    tell_shoppers(facts=[facts_of(order)], event=event, now=now)
