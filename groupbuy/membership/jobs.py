"""Scheduled membership work: the nightly tier recompute (safe late, twice and on several machines)."""

from __future__ import annotations

from datetime import datetime

from groupbuy.membership import service
from groupbuy.settings import settings


def recompute_member_tiers(now: datetime) -> dict[str, int]:
    """Every shopper with spend in the window or above the lowest tier: tier from the last 12 months' spend
    (orders paid long ago age out; a CS grant that ran out is taken off)."""
    return service.recompute_all_tiers(now=now, limit=settings().job_batch_size)
