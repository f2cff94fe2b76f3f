"""The one transition path, and the use cases that move an order after checkout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from groupbuy.audit.service import record_action
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.catalog.service import release_deal_stock
from groupbuy.coupons.service import release_coupons, use_coupons
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.groups.service import count_paid_units, release_group_units
from groupbuy.membership.service import claim_fast_refund, recompute_tier
from groupbuy.orders.enums import OrderEvent, OrderStatus, PaymentOutcome, RefundReason
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.orders.service.line_refunds import refund_lines
from groupbuy.orders.service.notices import tell_shopper
from groupbuy.orders.service.numbers import new_pickup_code
from groupbuy.orders.states import CONFIRMED_STATES, next_status


def transition(
    *,
    order_id: int,
    event: OrderEvent,
    actor: str,
    now: datetime,
    note: str | None = None,
    values: dict[str, Any] | None = None,
) -> Order:
    """Move an order by ``event`` with a conditional UPDATE on its current state and one timeline row; else 409."""
    with transaction():
        order = db.session.get(Order, order_id)
        if order is None:
            raise NotFound()
        current = OrderStatus(order.status)
        target = next_status(event, current)
        if target is None:
            raise Conflict(
                "illegal_transition",
                detail=(
                    f"订单当前状态为 {current.value}，不能执行 {event.value}",
                    f"An order in {current.value} cannot {event.value}",
                ),
            )
        changed = db.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == current)
            .values(status=target, updated_at=now, **(values or {}))
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]  # someone moved it first
            raise Conflict("illegal_transition")
        note = _move_coupon(order, event, target, note, now)
        db.session.add(
            OrderTimelineEvent(
                order_id=order_id, event=event, from_status=current, to_status=target, actor=actor, note=note, at=now
            )
        )
        db.session.flush()  # the timeline row and new status are visible to the refresh below
        db.session.refresh(order)
        # The shopper's notice (pay, expire, cancel, group_fail, arrive, refund_done), in this same transaction.
        tell_shopper(order=order, event=event, now=now)
        return order


def _move_coupon(order: Order, event: OrderEvent, target: OrderStatus, note: str | None, now: datetime) -> str | None:
    """The order's coupon follows it: used when it is paid, back in the wallet when it is cancelled unpaid
    (a paid order keeps its coupon used, whatever is refunded later). The timeline note says so."""
    if order.coupon_id is None:
        return note
    if event is OrderEvent.PAY:
        use_coupons(order_ids=[order.id], now=now)
        said = "优惠券已使用"
    elif target is OrderStatus.CANCELLED:
        release_coupons(order_ids=[order.id])
        said = "优惠券已退回"
    else:
        return note
    return f"{note}；{said}" if note else said


def _release_units(order: Order, *, paid: bool) -> None:
    """Give back the per-user limit, the group count and the stock of every line (once: callers hold the
    transition), in checkout's lock order: purchases, groups, then deals (the hottest rows) last."""
    lines = sorted(order.lines, key=lambda line: line.deal_id)
    for line in lines:
        db.session.execute(
            update(UserDealPurchase)
            .where(UserDealPurchase.user_id == order.user_id, UserDealPurchase.deal_id == line.deal_id)
            .values(quantity=UserDealPurchase.quantity - line.quantity)
        )
    for line in lines:
        release_group_units(group_id=line.group_id, quantity=line.quantity, paid=paid)
    for line in lines:
        release_deal_stock(deal_id=line.deal_id, quantity=line.quantity)


def _own_order(user_id: int, order_id: int, *, lock: bool = False) -> Order:
    order = db.session.get(Order, order_id, with_for_update=lock or None)
    if order is None or order.user_id != user_id:
        raise NotFound()
    return order


def cancel_order(*, user_id: int, order_id: int, now: datetime) -> Order:
    """Before the cutoff a shopper may cancel: unpaid → cancelled; paid → every line refunded (refunding).
    Once the leader confirmed it, never: 409 use_after_sale. Past the cutoff, a paid order is refunded at once only
    as a fast refund of the shopper's membership tier (window, amount limit, monthly cap); else 409 cutoff_passed."""
    with transaction():
        order = _own_order(user_id, order_id, lock=True)  # a leader's confirm waits for this, or wins first
        if order.status in CONFIRMED_STATES:
            raise Conflict("use_after_sale")
        fast = False
        if any(_cutoff_of(line.deal_id) <= now for line in order.lines):
            fast = order.status is OrderStatus.PAID and _fast_refund(order, now)
            if not fast:
                raise Conflict("cutoff_passed")
        if order.status is OrderStatus.PAID:
            refund_lines(
                order_id=order_id,
                lines=[
                    (line.id, line.quantity - line.refunded_quantity)
                    for line in order.lines
                    if line.refunded_quantity < line.quantity
                ],
                reason=RefundReason.ORDER_CANCELLED,
                actor=f"user:{user_id}",
                now=now,
            )
            db.session.expire_all()  # refund_lines wrote with Core: read the order as it is now
            cancelled = db.session.get_one(Order, order_id)
            tell_shopper(order=cancelled, event=OrderEvent.CANCEL, now=now)
            return cancelled
        moved = transition(
            order_id=order_id,
            event=OrderEvent.CANCEL,
            actor=f"user:{user_id}",
            now=now,
            note="shopper cancelled",
            values={"closed_at": now},
        )
        _release_units(moved, paid=False)
        return moved


def _fast_refund(order: Order, now: datetime) -> bool:
    """The shopper's tier refunds this cancellation at once (and one of the month's fast refunds is taken)."""
    amount = order.paid_fen - order.refund_due_fen
    answer = claim_fast_refund(user_id=order.user_id, ordered_at=order.created_at, amount_fen=amount, now=now)
    if answer.granted:  # which cancellations went past the cutoff, for CS
        record_action(
            actor_id=order.user_id,
            action="order.fast_refund",
            object_type="order",
            object_id=order.id,
            now=now,
            after={"amount_fen": amount, "ordered_at": order.created_at.isoformat()},
            reason="极速退款",
        )
    return answer.granted


def _cutoff_of(deal_id: int) -> datetime:
    return db.session.get_one(Deal, deal_id).cutoff_at


def expire_order(*, order_id: int, now: datetime) -> Order | None:
    """An unpaid order past its payment window is cancelled and its units released; None if not due."""
    with transaction():
        order = db.session.get(Order, order_id)
        if order is None or order.status is not OrderStatus.PENDING_PAYMENT or order.pay_before > now:
            return None
        moved = transition(
            order_id=order_id,
            event=OrderEvent.EXPIRE,
            actor="system",
            now=now,
            note="payment window expired",
            values={"closed_at": now},
        )
        _release_units(moved, paid=False)
        return moved


def confirm_receipt(*, user_id: int, order_id: int, now: datetime) -> Order:
    """The shopper confirms they have the goods: picked up or delivered → completed."""
    with transaction():
        _own_order(user_id, order_id)
        completed = transition(
            order_id=order_id,
            event=OrderEvent.CONFIRM_RECEIPT,
            actor=f"user:{user_id}",
            now=now,
            values={"closed_at": now},
        )
        recompute_tier(user_id=user_id, now=now)  # a completed order may lift the shopper's membership tier
        return completed


def mark_order_paid(*, order_id: int, amount_fen: int, actor: str, now: datetime) -> Order:
    """A verified payment of the full amount: pending → paid, paid units counted, a pickup code issued."""
    with transaction():
        order = db.session.get(Order, order_id)
        if order is None:
            raise NotFound()
        if amount_fen != order.payable_fen:
            raise Conflict("amount_mismatch")
        paid = _pay_with_fresh_code(order_id=order_id, amount_fen=amount_fen, actor=actor, now=now)
        for line in paid.lines:  # only after the transition: a cancelled order never counts
            if not count_paid_units(group_id=line.group_id, quantity=line.quantity):
                raise Conflict("group_closed")
        return paid


@dataclass(frozen=True)
class PaymentAnswer:
    outcome: PaymentOutcome
    reason: str = ""  # why the order did not take the money (its error code), for the log and the flag


# The refusals that mean "too late": the order left pending_payment, or a group of its lines has closed.
TOO_LATE = frozenset({"illegal_transition", "group_closed"})


def apply_payment(*, order_id: int, amount_fen: int, actor: str, now: datetime) -> PaymentAnswer:
    """mark_order_paid for money already taken: an answer instead of an error; a refusal leaves the order as it was."""
    try:
        with db.session.begin_nested():
            mark_order_paid(order_id=order_id, amount_fen=amount_fen, actor=actor, now=now)
    except Conflict as refused:
        outcome = PaymentOutcome.TOO_LATE if refused.code in TOO_LATE else PaymentOutcome.REFUSED
        return PaymentAnswer(outcome, refused.code)
    return PaymentAnswer(PaymentOutcome.PAID)


def _pay_with_fresh_code(*, order_id: int, amount_fen: int, actor: str, now: datetime) -> Order:
    for _ in range(5):
        try:
            with db.session.begin_nested():  # a clashing code for this leader and day: draw again
                return transition(
                    order_id=order_id,
                    event=OrderEvent.PAY,
                    actor=actor,
                    now=now,
                    values={"paid_fen": amount_fen, "paid_at": now, "pickup_code": new_pickup_code()},
                )
        except IntegrityError:
            continue
    raise Conflict("pickup_code_exhausted")
