"""Who is told what when an order or a group moves: one notice per order and event, one per group closing.

A sink: callers hand over plain facts (the dataclasses below); nothing here reads an order or an account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from groupbuy.notifications.enums import NotificationKind as K
from groupbuy.notifications.service.inbox import Notice, notify
from groupbuy.notifications.templates import yuan


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
    """A group that just closed, with what its leader's digest says."""

    group_id: int
    leader_user_id: int
    deal_title: str
    pickup_date: date
    units_paid: int
    threshold: int
    status: str  # succeeded | failed | cancelled


@dataclass(frozen=True)
class LineOutcome:
    """One paid line of an order whose group just closed: it goes ahead, or it was refunded (fen)."""

    order_id: int
    user_id: int
    order_no: str
    product_name: str
    quantity: int
    pickup_date: date
    group_status: str  # succeeded | failed | cancelled
    refunded_fen: int | None  # refunded in this closing (None: the line goes ahead)


def _order_fields(facts: OrderFacts) -> dict[str, str | int]:
    refund = facts.refund_due_fen
    return {
        "order_id": facts.order_id,
        "order_no": facts.order_no,
        "amount": yuan(facts.refunded_fen or refund or facts.paid_fen),
        "pickup_date": facts.pickup_date.isoformat(),
        "pickup_code": facts.pickup_code or "",
        "refund_text": f"已支付的 {yuan(refund)} 将原路退回。" if refund else "",
        "summary": "所在的团未达到成团数量",
    }


def notify_order_events(*, facts: Sequence[OrderFacts], kind: K, event: str, now: datetime) -> int:
    """Queue each shopper's notice of ``kind`` about an order ``event``, once per order and event."""
    notices = [
        Notice(user_id=f.user_id, kind=kind, dedupe_key=f"order:{f.order_id}:{event}", fields=_order_fields(f))
        for f in facts
    ]
    return notify(notices=notices, now=now)


BODY_LIMIT = 400  # notifications.body holds 500 characters; the title and the tail fit in the rest


def _joined(parts: list[str], *, unit: str) -> str:
    """Parts joined with "；", cut to fit a notice body ("… 等 N 个{unit}" names what was left out)."""
    text = ""
    for part in parts:
        candidate = f"{text}；{part}" if text else part
        if len(candidate) > BODY_LIMIT:
            return f"{text} 等 {len(parts)} 个{unit}"
        text = candidate
    return text


def notify_groups_closed(*, groups: Sequence[ClosedGroup], now: datetime) -> int:
    """One digest per leader and closing batch: what to stock (succeeded groups), what failed or was called off.
    Groups nobody paid into are not mentioned (nothing to stock, nobody to refund)."""
    per_leader: dict[int, list[ClosedGroup]] = defaultdict(list)
    for group in groups:
        if group.units_paid > 0:
            per_leader[group.leader_user_id].append(group)
    notices = []
    for leader_user_id, closed in per_leader.items():
        closed.sort(key=lambda g: g.group_id)
        stock = [g for g in closed if g.status == "succeeded"]
        other = [g for g in closed if g.status != "succeeded"]
        parts = [f"「{g.deal_title}」{g.units_paid} 件（提货日 {g.pickup_date.isoformat()}）" for g in stock]
        parts += [
            f"「{g.deal_title}」{'未成团' if g.status == 'failed' else '已取消'}"
            f"（已付 {g.units_paid} / 需 {g.threshold} 件）"
            for g in other
        ]
        fields = {
            "group_ids": [g.group_id for g in closed],
            "units": sum(g.units_paid for g in stock),
            "groups_succeeded": len(stock),
            "groups_refunded": len(other),
            "pickup_date": min(g.pickup_date for g in closed).isoformat(),
            "summary": _joined(parts, unit="团"),
        }
        notices.append(
            Notice(
                user_id=leader_user_id,
                kind=K.LEADER_STOCK_LIST if stock else K.LEADER_GROUP_FAILED,
                dedupe_key=f"leader:{leader_user_id}:closing:{closed[0].group_id}",
                fields=fields,
            )
        )
    return notify(notices=notices, now=now)


def notify_orders_settled(
    *, outcomes: Sequence[LineOutcome], now: datetime, delivery_fees: Mapping[int, int] | None = None
) -> int:
    """One notice per order and closing batch naming every line's outcome: goes ahead, or refunded and how much
    (plus the delivery fee, {order_id: fen}, when the whole order was refunded with it)."""
    per_order: dict[int, list[LineOutcome]] = defaultdict(list)
    for outcome in outcomes:
        per_order[outcome.order_id].append(outcome)
    notices = []
    for order_id, lines in per_order.items():
        ahead = [line for line in lines if line.refunded_fen is None]
        back = [line for line in lines if line.refunded_fen is not None]
        fee = (delivery_fees or {}).get(order_id, 0)
        refund_fen = sum(line.refunded_fen or 0 for line in back) + fee
        parts = [f"「{line.product_name}」×{line.quantity} 已成团" for line in ahead]
        parts += [
            f"「{line.product_name}」×{line.quantity} {'团已取消' if line.group_status == 'cancelled' else '未成团'}，"
            f"退款 {yuan(line.refunded_fen or 0)}"
            for line in back
        ]
        kind = K.GROUP_SUCCEEDED if not back else K.GROUP_FAILED if not ahead else K.GROUP_PARTLY_SUCCEEDED
        first = lines[0]
        notices.append(
            Notice(
                user_id=first.user_id,
                kind=kind,
                dedupe_key=f"order:{order_id}:closing:{first.order_no}:{len(lines)}:{refund_fen}",
                fields={
                    "order_id": order_id,
                    "order_no": first.order_no,
                    "pickup_date": min(line.pickup_date for line in ahead).isoformat() if ahead else "",
                    "refund_fen": refund_fen,
                    "summary": _joined(parts, unit="商品"),
                    "refund_text": (
                        f"共 {yuan(refund_fen)}{f'（含配送费 {yuan(fee)}）' if fee else ' '}将原路退回。"
                        if refund_fen
                        else ""
                    ),
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
