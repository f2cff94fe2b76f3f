"""Scheduled flows: close every group past its cutoff and settle its orders (safe late, twice, and in parallel)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from groupbuy.db import db
from groupbuy.flows import closing


def close_due_groups(now: datetime) -> dict[str, int]:
    """Open groups past their deal's cutoff → succeeded / failed; failed groups' paid orders → refunding,
    closed groups' unpaid orders → cancelled; leaders get their stock list, members their notice."""
    runners = int(current_app.config["CLOSE_RUNNERS"]) if db.engine.dialect.name == "postgresql" else 1
    return closing.close_due_groups(now=now, limit=int(current_app.config["JOB_BATCH_SIZE"]), runners=runners)
