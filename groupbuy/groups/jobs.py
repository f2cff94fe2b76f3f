"""Scheduled group work: forget old share-page visitor hashes (closing groups is a flow: groupbuy/flows/jobs.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from groupbuy.groups.visits import forget_visitors_before, page_day
from groupbuy.settings import settings


def forget_group_page_visitors(now: datetime) -> dict[str, int]:
    """Share-page visitor hashes older than GROUP_PAGE_VISITOR_DAYS are dropped; the daily counts stay."""
    keep_from = page_day(now) - timedelta(days=settings().group_page_visitor_days)
    return {"forgotten": forget_visitors_before(day=keep_from)}
