"""Scheduled group work: close every group past its cutoff (safe late, twice, and in parallel)."""

from __future__ import annotations

from datetime import datetime

from groupbuy.db import db
from groupbuy.orders import service as orders
from groupbuy.settings import settings


def close_due_groups(now: datetime) -> dict[str, int]:
    """Open groups past their deal's cutoff → succeeded / failed; failed groups' paid orders → refunding,
    closed groups' unpaid orders → cancelled; leaders get their stock list, members their notice."""
    runners = settings().close_runners if db.engine.dialect.name == "postgresql" else 1
    return orders.close_due_groups(now=now, limit=settings().job_batch_size, runners=runners)
