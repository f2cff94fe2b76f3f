"""Who is told what when an order or a group moves: one notice per order and event, one per group closing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row

from groupbuy.notifications.enums import NotificationKind as K
from groupbuy.notifications.service.inbox import Notice, notify
from groupbuy.notifications.templates import yuan
from groupbuy.orders.enums import OrderEvent
from groupbuy.orders.models import Order

ORDER_EVENT_KINDS = {
    OrderEvent.PAY: K.ORDER_PAID,
    OrderEvent.EXPIRE: K.ORDER_EXPIRED,
    OrderEvent.CANCEL: K.ORDER_CANCELLED,
    OrderEvent.GROUP_FAIL: K.GROUP_FAILED,
    OrderEvent.ARRIVE: K.GOODS_ARRIVED,
    OrderEvent.REFUND_DONE: K.REFUND_DONE,
}


@dataclass(frozen=True)
class OrderFacts:
    """What a shopper's notice about an order says (read from the order after its transition)."""

    order_id: int
    user_id: int
    order_no: str
    paid_fen: int
    refund_due_fen: int
    refunded_fen: int
    pickup_code: str | None
    pickup_date: date


@dataclass(frozen=True)
class ClosedGroup:
    """A group that just closed, with what its leader's notice says."""

    group_id: int
    leader_user_id: int
    deal_title: str
    pickup_date: date
    units_paid: int
    threshold: int
    succeeded: bool


@dataclass(frozen=True)
class GroupMember:
    """A paid order in a group that succeeded."""

    group_id: int
    order_id: int
    user_id: int
    order_no: str


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


def _order_fields(facts: OrderFacts) -> dict[str, str | int]:
    refund = facts.refund_due_fen
    return {
        "order_id": facts.order_id,
        "order_no": facts.order_no,
        "amount": yuan(facts.refunded_fen or refund or facts.paid_fen),
        "pickup_date": facts.pickup_date.isoformat(),
        "pickup_code": facts.pickup_code or "",
        "refund_text": f"已支付的 {yuan(refund)} 将原路退回。" if refund else "",
    }


def notify_order_events(*, facts: Sequence[OrderFacts], event: OrderEvent, now: datetime) -> int:
    """Queue each shopper's notice for an order event, once per order and event; other events notify nobody."""
    kind = ORDER_EVENT_KINDS.get(event)
    if kind is None:
        return 0
    notices = [
        Notice(user_id=f.user_id, kind=kind, dedupe_key=f"order:{f.order_id}:{event.value}", fields=_order_fields(f))
        for f in facts
    ]
    return notify(notices=notices, now=now)


def notify_order_event(*, order: Order, event: OrderEvent, now: datetime) -> None:
    """The shopper's notice for one order transition (pay, expire, cancel, group_fail, arrive, refund_done)."""
    notify_order_events(facts=[facts_of(order)], event=event, now=now)


def notify_groups_closed(*, groups: Sequence[ClosedGroup], members: Sequence[GroupMember], now: datetime) -> int:
    """Each leader once per closed group (the stock list, or that it failed); each paid member of a success once."""
    notices = []
    by_id = {g.group_id: g for g in groups}
    for group in groups:
        fields = {
            "group_id": group.group_id,
            "deal_title": group.deal_title,
            "units": group.units_paid,
            "threshold": group.threshold,
            "pickup_date": group.pickup_date.isoformat(),
        }
        kind = K.LEADER_STOCK_LIST if group.succeeded else K.LEADER_GROUP_FAILED
        notices.append(
            Notice(user_id=group.leader_user_id, kind=kind, dedupe_key=f"group:{group.group_id}:closed", fields=fields)
        )
    for member in members:
        group = by_id[member.group_id]
        notices.append(
            Notice(
                user_id=member.user_id,
                kind=K.GROUP_SUCCEEDED,
                dedupe_key=f"order:{member.order_id}:group:{member.group_id}:succeeded",
                fields={
                    "order_id": member.order_id,
                    "order_no": member.order_no,
                    "group_id": group.group_id,
                    "deal_title": group.deal_title,
                    "pickup_date": group.pickup_date.isoformat(),
                },
            )
        )
    return notify(notices=notices, now=now)


def notify_leader_aftersale_requested(
    *, leader_user_id: int, request_id: int, order_no: str, reason: str, now: datetime
) -> None:
    """Tell the leader once that a shopper asked for an after-sale on one of the leader's orders."""
    notify(
        notices=[
            Notice(
                user_id=leader_user_id,
                kind=K.LEADER_AFTERSALE_REQUESTED,
                dedupe_key=f"aftersale:{request_id}:requested",
                fields={"request_id": request_id, "order_no": order_no, "reason": reason[:100]},
            )
        ],
        now=now,
    )
