"""Scheduled group work: close every group past its cutoff (safe late, twice, and in parallel); forget old
share-page visitor hashes."""

from __future__ import annotations

from datetime import datetime, timedelta

from groupbuy.db import db
from groupbuy.groups.visits import forget_visitors_before, page_day
from groupbuy.orders import service as orders
from groupbuy.settings import settings


def close_due_groups(now: datetime) -> dict[str, int]:
    """Open groups past their deal's cutoff → succeeded / failed; failed groups' paid orders → refunding,
    closed groups' unpaid orders → cancelled; leaders get their stock list, members their notice."""
    runners = settings().close_runners if db.engine.dialect.name == "postgresql" else 1
    return orders.close_due_groups(now=now, limit=settings().job_batch_size, runners=runners)


def forget_group_page_visitors(now: datetime) -> dict[str, int]:
    """Share-page visitor hashes older than GROUP_PAGE_VISITOR_DAYS are dropped; the daily counts stay."""
    keep_from = page_day(now) - timedelta(days=settings().group_page_visitor_days)
    return {"forgotten": forget_visitors_before(day=keep_from)}
