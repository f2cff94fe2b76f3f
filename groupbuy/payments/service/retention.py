"""Raw provider notifications are kept for PAYMENT_NOTIFICATION_RETENTION_DAYS, then pruned, unless still needed.

Pruned after the retention: outcomes that are settled and whose facts live elsewhere (the payment row holds the
transaction id, amount and time; ``payment_events`` keeps the event id for dedupe, its link set to NULL):
rejected, duplicate, ignored, no_change, applied.
Kept for good: ``received`` (never finished: something crashed between storing and deciding), ``flagged``,
``late_payment`` and ``unknown_trade`` (money that did not fit: evidence for customer service), and every
notification of a payment that is flagged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from groupbuy.db import db, transaction
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus
from groupbuy.payments.models import Payment, PaymentCallback

PRUNABLE_OUTCOMES = frozenset(
    {
        CallbackOutcome.REJECTED,
        CallbackOutcome.DUPLICATE,
        CallbackOutcome.IGNORED,
        CallbackOutcome.NO_CHANGE,
        CallbackOutcome.APPLIED,
    }
)


def prune_callbacks(*, now: datetime, days: int, limit: int) -> dict[str, int]:
    """Delete prunable notifications received more than ``days`` ago, ``limit`` per transaction; idempotent."""
    cutoff = now - timedelta(days=days)
    flagged = select(Payment.id).where(Payment.status == PaymentStatus.FLAGGED)
    due = (
        select(PaymentCallback.id)
        .where(
            PaymentCallback.received_at < cutoff,
            PaymentCallback.outcome.in_(PRUNABLE_OUTCOMES),
            (PaymentCallback.payment_id.is_(None)) | (PaymentCallback.payment_id.not_in(flagged)),
        )
        .order_by(PaymentCallback.id)
        .limit(limit)
    )
    pruned = 0
    while True:
        with transaction():
            ids = list(db.session.scalars(due))
            if ids:
                db.session.execute(
                    delete(PaymentCallback).where(PaymentCallback.id.in_(ids)),
                    execution_options={"synchronize_session": False},
                )
        pruned += len(ids)
        if len(ids) < limit:
            return {"notifications_pruned": pruned}
