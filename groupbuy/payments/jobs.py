"""Scheduled entry points: plain functions of ``now`` returning counts. Idempotent and driven by database state,
so a missed run is caught up by the next one; safe with several schedulers (conditional updates, refund leases,
stable out_trade_no / out_refund_no at the provider)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from groupbuy.payments import service
from groupbuy.settings import settings


def reconcile_payments(now: datetime) -> dict[str, int]:
    """Query pending payments (lost notifications pay their order), close attempts of orders no longer payable."""
    outcomes = Counter(
        service.reconcile_payment(payment_id=payment_id, now=now)
        for payment_id in service.payments_to_reconcile(now=now)
    )
    return {"checked": sum(outcomes.values()), **outcomes}


def retry_refunds(now: datetime) -> dict[str, int]:
    """Send refunds whose next attempt is due (same out_refund_no each time), then request refunds still owed."""
    outcomes = Counter(
        service.submit_refund(refund_id=refund_id, now=now).status.value
        for refund_id in service.refunds_due_for_retry(now=now)
    )
    due = service.process_due_refunds(now=now)
    return {"retried": sum(outcomes.values()), **outcomes, **{f"due_{k}": v for k, v in due.items()}}


def prune_payment_notifications(now: datetime) -> dict[str, int]:
    """Delete raw notifications older than PAYMENT_NOTIFICATION_RETENTION_DAYS that nothing needs any more."""
    config = settings()
    return service.prune_callbacks(
        now=now, days=config.payment_notification_retention_days, limit=config.job_batch_size
    )
