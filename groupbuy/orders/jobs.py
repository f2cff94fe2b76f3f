"""Scheduled order work: expire unpaid orders, auto-confirm receipt (safe late, twice, and in parallel)."""

from __future__ import annotations

from datetime import datetime

from groupbuy.orders import service
from groupbuy.settings import settings


def expire_unpaid_orders(now: datetime) -> dict[str, int]:
    """pending_payment orders past pay_before → cancelled, their stock and limits returned once."""
    return service.expire_due_orders(now=now, limit=settings().job_batch_size)


def auto_confirm_receipt(now: datetime) -> dict[str, int]:
    """Orders picked up / delivered AUTO_CONFIRM_DAYS ago → completed (actor system)."""
    config = settings()
    return service.auto_confirm_receipts(now=now, days=config.auto_confirm_days, limit=config.job_batch_size)
