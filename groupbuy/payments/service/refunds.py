"""Refunds: one request per business decision, a counter that keeps Σ refunds ≤ paid, retries that reuse the number.

A refund is written (and its amount reserved on the payment) before the provider hears of it; the outbound call
happens outside any transaction, and its answer (or the refund notification) settles it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.orders.models import Order
from groupbuy.orders.service import record_order_refund
from groupbuy.payments.enums import PaymentStatus, RefundSource, RefundState
from groupbuy.payments.models import Payment, Refund
from groupbuy.payments.providers import (
    ProviderError,
    ProviderNotConfigured,
    ProviderRefundStatus,
    RefundResult,
    provider_for,
)

log = structlog.get_logger(__name__)
T = TypeVar("T", Payment, Refund, Order)

OPEN_STATES = (RefundState.PENDING, RefundState.PROCESSING, RefundState.FAILED)
CLAIM_LEASE = timedelta(minutes=5)  # longer than any provider call: a second scheduler leaves the refund alone
POLL_PROCESSING = timedelta(minutes=10)  # ask again about a refund the provider is still processing
MAX_BACKOFF = timedelta(hours=6)
REFUSED_BACKOFF = timedelta(hours=1)  # a refusal needs a human; still retried, slowly


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most 6 hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _refundable_payment(order_id: int | None, payment_id: int | None) -> Payment:
    """The payment named, or the one that paid the order; read fresh (a caller may have just updated it in SQL)."""
    query = select(Payment).execution_options(populate_existing=True)
    if payment_id is not None:
        payment = db.session.scalar(query.where(Payment.id == payment_id))
        if payment is None or (order_id is not None and payment.order_id != order_id):
            raise NotFound()
        return payment
    payment = db.session.scalar(query.where(Payment.order_id == order_id, Payment.applied_to_order))
    if payment is None:
        raise Conflict("nothing_to_refund")
    return payment


def _next_refund_no(payment: Payment) -> str:
    """out_trade_no + R + sequence; callers hold the payment row (its counter update) so numbers do not clash."""
    count = db.session.scalar(select(func.count()).where(Refund.payment_id == payment.id)) or 0
    return f"{payment.out_trade_no}R{count + 1:02d}"


def request_refund(
    *,
    amount_fen: int,
    reason: str,
    source: RefundSource,
    now: datetime,
    actor: str,
    order_id: int | None = None,
    payment_id: int | None = None,
    request_key: str | None = None,
    order_refund_id: int | None = None,
) -> Refund:
    """Reserve the amount on a paid payment (never past what was paid) and record the refund; same key, same refund."""
    if type(amount_fen) is not int or amount_fen <= 0:
        raise Conflict("refund_amount_invalid")
    with transaction():
        if request_key is not None:
            existing = db.session.scalar(select(Refund).where(Refund.request_key == request_key))
            if existing is not None:
                return existing
        payment = _refundable_payment(order_id, payment_id)
        if payment.status is not PaymentStatus.PAID:  # pending, failed or flagged money is not ours to send back
            raise Conflict("payment_not_refundable")
        try:
            with db.session.begin_nested():  # a concurrent request with the same key: theirs stands, ours undone
                return _reserve_and_record(
                    payment, amount_fen, reason, source, now, actor, request_key, order_refund_id
                )
        except IntegrityError:
            existing = db.session.scalar(select(Refund).where(Refund.request_key == request_key))
            if request_key is None or existing is None:
                raise
            return existing


def _reserve_and_record(
    payment: Payment,
    amount_fen: int,
    reason: str,
    source: RefundSource,
    now: datetime,
    actor: str,
    request_key: str | None,
    order_refund_id: int | None,
) -> Refund:
    reserved = db.session.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.status == PaymentStatus.PAID,
            Payment.refunded_fen + amount_fen <= Payment.amount_fen,
        )
        .values(refunded_fen=Payment.refunded_fen + amount_fen, updated_at=now)
    )
    if reserved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("refund_exceeds_paid")
    refund = Refund(
        payment_id=payment.id,
        order_id=payment.order_id,
        out_refund_no=_next_refund_no(payment),
        request_key=request_key,
        order_refund_id=order_refund_id,
        amount_fen=amount_fen,
        reason=reason[:200],
        source=source,
        status=RefundState.PENDING,
        attempts=0,
        next_attempt_at=now,
        requested_by=actor[:40],
        created_at=now,
        updated_at=now,
    )
    db.session.add(refund)
    db.session.flush()  # the unique out_refund_no / request_key clash surfaces inside the savepoint
    return refund


def refund(
    *,
    amount_fen: int,
    reason: str,
    source: RefundSource,
    now: datetime,
    actor: str = "system",
    order_id: int | None = None,
    payment_id: int | None = None,
    request_key: str | None = None,
    order_refund_id: int | None = None,
) -> Refund:
    """The one refund door (cancellation, failed groups, shortages, after-sale, CS): record, then ask the provider.

    Inside a caller's transaction nothing is sent (no outbound call while rows are locked): retry_refunds sends it.
    """
    nested = db.session().info.get("tx_depth", 0) > 0  # set by db.transaction() while a unit of work is open
    created = request_refund(
        amount_fen=amount_fen,
        reason=reason,
        source=source,
        now=now,
        actor=actor,
        order_id=order_id,
        payment_id=payment_id,
        request_key=request_key,
        order_refund_id=order_refund_id,
    )
    if nested or created.status not in OPEN_STATES:
        return created
    return submit_refund(refund_id=created.id, now=now)


def _claim(refund_id: int, now: datetime) -> tuple[Refund, Payment] | None:
    """Take the refund for one attempt (a lease on next_attempt_at), or None if it is not due or someone has it."""
    with transaction():
        claimed = db.session.execute(
            update(Refund)
            .where(
                Refund.id == refund_id,
                Refund.status.in_(OPEN_STATES),
                (Refund.next_attempt_at.is_(None)) | (Refund.next_attempt_at <= now),
            )
            .values(attempts=Refund.attempts + 1, next_attempt_at=now + CLAIM_LEASE, updated_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        refund_row = _fresh(refund_id)
        return refund_row, fresh_row(Payment, refund_row.payment_id)


def submit_refund(*, refund_id: int, now: datetime) -> Refund:
    """Ask the provider to refund (same out_refund_no every time); record its answer or the failure for a retry."""
    claimed = _claim(refund_id, now)
    if claimed is None:
        return _fresh(refund_id)
    refund_row, payment = claimed
    try:
        result = provider_for(payment.channel).refund(
            out_trade_no=payment.out_trade_no,
            out_refund_no=refund_row.out_refund_no,
            refund_fen=refund_row.amount_fen,
            total_fen=payment.amount_fen,
            reason=refund_row.reason,
            transaction_id=payment.transaction_id,
            placed_at=payment.created_at,
            requested_at=refund_row.created_at,
        )
    except ProviderNotConfigured:
        return record_refund_failure(refund_id=refund_id, error="channel_unavailable", retryable=False, now=now)
    except ProviderError as exc:
        return record_refund_failure(refund_id=refund_id, error=str(exc), retryable=exc.retryable, now=now)
    except ValueError as exc:  # our own arguments refused before sending: needs a human
        return record_refund_failure(refund_id=refund_id, error=f"invalid: {exc}", retryable=False, now=now)
    return record_refund_result(refund_id=refund_id, result=result, now=now)


def record_refund_failure(*, refund_id: int, error: str, retryable: bool, now: datetime) -> Refund:
    """A failed attempt: pending (retryable) or failed (shown to CS), with the next attempt scheduled; never dropped."""
    with transaction():
        refund_row = _fresh(refund_id)
        delay = backoff(refund_row.attempts) if retryable else max(backoff(refund_row.attempts), REFUSED_BACKOFF)
        db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status.in_(OPEN_STATES))
            .values(
                status=RefundState.PENDING if retryable else RefundState.FAILED,
                last_error=error[:200],
                next_attempt_at=now + delay,
                updated_at=now,
            )
        )
        log.warning("refund_attempt_failed", refund_id=refund_id, error=error[:80], retryable=retryable)
        return _fresh(refund_id)


def record_refund_result(*, refund_id: int, result: RefundResult, now: datetime) -> Refund:
    """The provider's answer: success settles it, PROCESSING waits for the notification (polled), CLOSED starts over."""
    if result.status is ProviderRefundStatus.SUCCESS:
        return refund_succeeded(
            refund_id=refund_id, provider_refund_id=result.refund_id, succeeded_at=result.succeeded_at, now=now
        )
    if result.status is ProviderRefundStatus.CLOSED:
        return refund_closed(refund_id=refund_id, now=now)
    if result.status is ProviderRefundStatus.ABNORMAL:
        return refund_stuck(refund_id=refund_id, now=now)
    with transaction():
        db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status.in_(OPEN_STATES))
            .values(
                status=RefundState.PROCESSING,
                provider_refund_id=result.refund_id or Refund.provider_refund_id,
                last_error=None,
                next_attempt_at=now + POLL_PROCESSING,
                updated_at=now,
            )
        )
        return _fresh(refund_id)


def refund_succeeded(
    *, refund_id: int, provider_refund_id: str | None, succeeded_at: datetime | None, now: datetime
) -> Refund:
    """Money given back: the refund succeeds once, and only then is it counted on the order."""
    with transaction():
        moved = db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status.in_(OPEN_STATES))
            .values(
                status=RefundState.SUCCEEDED,
                provider_refund_id=provider_refund_id or Refund.provider_refund_id,
                succeeded_at=succeeded_at or now,
                last_error=None,
                next_attempt_at=None,
                updated_at=now,
            )
        )
        refund_row = _fresh(refund_id)
        if moved.rowcount == 1 and fresh_row(Payment, refund_row.payment_id).applied_to_order:  # type: ignore[attr-defined]
            record_order_refund(
                order_id=refund_row.order_id,
                amount_fen=refund_row.amount_fen,
                order_refund_id=refund_row.order_refund_id,
                now=now,
            )
        return refund_row


def refund_closed(*, refund_id: int, now: datetime) -> Refund:
    """Closed by the provider for good: a successor with a NEW number takes over the same reserved amount."""
    with transaction():
        moved = db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status.in_(OPEN_STATES))
            .values(
                status=RefundState.CLOSED, last_error="closed by the provider", next_attempt_at=None, updated_at=now
            )
        )
        old = _fresh(refund_id)
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return old
        payment = fresh_row(Payment, old.payment_id)
        db.session.execute(update(Payment).where(Payment.id == payment.id).values(updated_at=now))  # hold the row
        successor = Refund(
            payment_id=old.payment_id,
            order_id=old.order_id,
            out_refund_no=_next_refund_no(payment),
            order_refund_id=old.order_refund_id,
            amount_fen=old.amount_fen,
            reason=old.reason,
            source=old.source,
            status=RefundState.PENDING,
            attempts=0,
            next_attempt_at=now,
            replaces_id=old.id,
            requested_by=old.requested_by,
            created_at=now,
            updated_at=now,
        )
        db.session.add(successor)
        log.warning("refund_closed_by_provider", refund_id=refund_id)
        return old


def refund_stuck(*, refund_id: int, now: datetime) -> Refund:
    """ABNORMAL (e.g. a frozen card): not final; CS sees it as failed and the job keeps asking."""
    with transaction():
        db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status.in_(OPEN_STATES))
            .values(
                status=RefundState.FAILED,
                last_error="ABNORMAL: the provider needs a human",
                next_attempt_at=now + REFUSED_BACKOFF,
                updated_at=now,
            )
        )
        return _fresh(refund_id)


def _fresh(refund_id: int) -> Refund:
    return fresh_row(Refund, refund_id)


def fresh_row(model: type[T], row_id: int) -> T:
    """A row as the database has it now (the session may hold an older copy: conditional UPDATEs bypass it)."""
    return db.session.execute(
        select(model).where(model.id == row_id).execution_options(populate_existing=True)
    ).scalar_one()
