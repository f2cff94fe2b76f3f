"""Arrival: goods reach the leader's pickup point; shortages are refunded and every shopper is told."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from groupbuy.db import transaction
from groupbuy.leaders.service import get_active_leader
from groupbuy.notifications.enums import NotificationKind as K
from groupbuy.notifications.service import Notice, notify
from groupbuy.notifications.templates import yuan
from groupbuy.orders import service as orders
from groupbuy.orders.enums import Fulfilment
from groupbuy.orders.service import Receipt


def record_arrival(*, user_id: int, pickup_date: date, received: Mapping[int, int], now: datetime) -> Receipt:
    """The leader's shipped orders for the date arrive (shortages refunded latest orders first, exactly the missing
    units): pickup shoppers get "到货了" with their pickup code, delivery shoppers that it is coming, shorted
    shoppers what was refunded. All in one transaction: a refused or repeated arrival tells nobody."""
    with transaction():
        leader_id = get_active_leader(user_id=user_id).id
        receipt = orders.receive_goods(
            leader_id=leader_id, pickup_date=pickup_date, received=received, actor=f"leader:{leader_id}", now=now
        )
        notify(notices=_notices(receipt), now=now)
        return receipt


def _notices(receipt: Receipt) -> list[Notice]:
    day = receipt.pickup_date.isoformat()
    notices = [
        Notice(
            user_id=o.user_id,
            kind=K.GOODS_ARRIVED if o.fulfilment is Fulfilment.PICKUP else K.GOODS_ARRIVED_FOR_DELIVERY,
            dedupe_key=f"order:{o.order_id}:arrive",
            fields={"order_id": o.order_id, "order_no": o.order_no, "pickup_date": day, "pickup_code": o.pickup_code},
        )
        for o in receipt.ready
    ]
    for refund in receipt.refunds:
        parts = [f"「{line.product_name}」缺 {line.quantity} 件，退款 {yuan(line.amount_fen)}" for line in refund.lines]
        notices.append(
            Notice(
                user_id=refund.user_id,
                kind=K.ORDER_SHORTAGE,
                dedupe_key=f"order:{refund.order_id}:shortage:{refund.order_refund_id}",
                fields={
                    "order_id": refund.order_id,
                    "order_no": refund.order_no,
                    "refund_fen": refund.amount_fen,
                    "amount": yuan(refund.amount_fen),
                    "summary": "；".join(parts)[:300],
                    "whole_order": refund.whole_order,
                },
            )
        )
    return notices
