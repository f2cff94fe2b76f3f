"""Scheduled order work: expire unpaid orders, auto-confirm receipt (safe late, twice, and in parallel)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from groupbuy.orders import service


def expire_unpaid_orders(now: datetime) -> dict[str, int]:
    """pending_payment orders past pay_before → cancelled, their stock and limits returned once."""
    return service.expire_due_orders(now=now, limit=int(current_app.config["JOB_BATCH_SIZE"]))


def auto_confirm_receipt(now: datetime) -> dict[str, int]:
    """Orders picked up / delivered AUTO_CONFIRM_DAYS ago → completed (actor system)."""
    config = current_app.config
    return service.auto_confirm_receipts(
        now=now, days=int(config["AUTO_CONFIRM_DAYS"]), limit=int(config["JOB_BATCH_SIZE"])
    )
