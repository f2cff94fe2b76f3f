"""What a confirmed payment does (from a notification or from reconciliation): the order paid once, or flagged,
or — money for an order that can no longer take it — recorded and refunded exactly once (RELIABILITY rule 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import update

from groupbuy.db import db, transaction
from groupbuy.orders.enums import PaymentOutcome
from groupbuy.orders.service import apply_payment
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus, RefundSource
from groupbuy.payments.models import Payment
from groupbuy.payments.service.refunds import request_refund

log = structlog.get_logger(__name__)

# A payment may still turn out paid from these states (a close can lose the race against the buyer).
UNSETTLED = (PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.CLOSED)


@dataclass(frozen=True)
class PaidTrade:
    """A payment the provider vouches for (verified notification or signed query answer)."""

    amount_fen: int
    transaction_id: str
    mchid: str
    appid: str
    paid_at: datetime | None


@dataclass(frozen=True)
class Settlement:
    outcome: CallbackOutcome
    refund_id: int | None = None  # a late-payment refund waiting to be sent


def settle_paid_trade(*, payment: Payment, trade: PaidTrade, now: datetime) -> Settlement:
    """Amount and merchant must match the payment (else flagged, order untouched); then pending → paid, once."""
    with transaction():
        merchant_ok = (not payment.merchant_id or trade.mchid == payment.merchant_id) and trade.appid == payment.app_id
        if not merchant_ok:
            return _flag(payment, "merchant or app id does not match", now)
        if trade.amount_fen != payment.amount_fen:
            return _flag(payment, f"paid {trade.amount_fen} fen, expected {payment.amount_fen} fen", now)
        recorded = db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status.in_(UNSETTLED))
            .values(
                status=PaymentStatus.PAID,
                transaction_id=trade.transaction_id[:64] or None,
                paid_at=trade.paid_at or now,
                updated_at=now,
            )
        )
        if recorded.rowcount != 1:  # type: ignore[attr-defined]  # already paid (or flagged): nothing more
            return Settlement(CallbackOutcome.NO_CHANGE)
        answer = apply_payment(
            order_id=payment.order_id, amount_fen=payment.amount_fen, actor=f"payment:{payment.id}", now=now
        )
        if answer.outcome is PaymentOutcome.REFUSED:
            return _flag(payment, f"the order refused the payment: {answer.reason}", now, paid=True)
        if answer.outcome is PaymentOutcome.TOO_LATE:
            return _late_payment(payment, answer.reason, now)
        db.session.execute(
            update(Payment).where(Payment.id == payment.id).values(applied_to_order=True, updated_at=now)
        )
        return Settlement(CallbackOutcome.APPLIED)


def _late_payment(payment: Payment, why: str, now: datetime) -> Settlement:
    """Recorded as paid, the order untouched, the whole amount refunded (one refund per payment, by key)."""
    log.warning("late_payment", payment_id=payment.id, order_id=payment.order_id, why=why)
    late = request_refund(
        payment_id=payment.id,
        amount_fen=payment.amount_fen,
        reason="订单已关闭，款项原路退回",
        source=RefundSource.LATE_PAYMENT,
        now=now,
        actor="system",
        request_key=f"late_payment:{payment.id}",
    )
    return Settlement(CallbackOutcome.LATE_PAYMENT, refund_id=late.id)


def _flag(payment: Payment, reason: str, now: datetime, *, paid: bool = False) -> Settlement:
    """Money that does not fit the payment: customer service decides; the order is not paid."""
    log.warning("payment_flagged", payment_id=payment.id, reason=reason)
    allowed = (PaymentStatus.PAID,) if paid else UNSETTLED
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(allowed))
        .values(status=PaymentStatus.FLAGGED, flag_reason=reason[:200], updated_at=now)
    )
    return Settlement(CallbackOutcome.FLAGGED)


def record_failed_trade(*, payment: Payment, now: datetime, closed: bool) -> Settlement:
    """The provider says this attempt will not be paid: pending → failed (or closed); the shopper may try again."""
    with transaction():
        moved = db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING)
            .values(status=PaymentStatus.CLOSED if closed else PaymentStatus.FAILED, updated_at=now)
        )
        changed = moved.rowcount == 1  # type: ignore[attr-defined]
        return Settlement(CallbackOutcome.APPLIED if changed else CallbackOutcome.NO_CHANGE)
