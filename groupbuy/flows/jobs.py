"""Scheduled flows (safe late, twice, and in parallel: work is chosen from database state and every move is
guarded on it): close every group past its cutoff and settle its orders; dispatch on the pickup date's eve;
unclaimed goods."""

from __future__ import annotations

from datetime import date, datetime

from groupbuy.db import db
from groupbuy.flows import closing
from groupbuy.flows.dispatch import dispatch_orders
from groupbuy.flows.unclaimed import remind_unclaimed_batch
from groupbuy.orders import service as orders
from groupbuy.orders.service import drain
from groupbuy.settings import settings


def close_due_groups(now: datetime) -> dict[str, int]:
    """Open groups past their deal's cutoff → succeeded / failed; failed groups' paid orders → refunding,
    closed groups' unpaid orders → cancelled; leaders get their stock list, members their notice."""
    runners = settings().close_runners if db.engine.dialect.name == "postgresql" else 1
    return closing.close_due_groups(now=now, limit=settings().job_batch_size, runners=runners)


def dispatch_due_orders(now: datetime) -> dict[str, int]:
    """Confirmed/stocking orders whose pickup date is tomorrow (China time, after DISPATCH_HOUR) or earlier →
    shipped, one shipment and one notice per leader and date."""
    config = settings()
    counts = {"shipments": 0, "orders_shipped": 0}
    seen: set[tuple[int, date]] = set()
    while True:
        due = [
            pair
            for pair in orders.due_dispatches(now=now, dispatch_hour=config.dispatch_hour, limit=config.job_batch_size)
            if pair not in seen
        ]
        if not due:
            return counts
        for leader_id, pickup_date in due:
            seen.add((leader_id, pickup_date))
            shipment = dispatch_orders(leader_id=leader_id, pickup_date=pickup_date, actor="system", now=now)
            counts["shipments"] += 1 if shipment.order_ids else 0
            counts["orders_shipped"] += len(shipment.order_ids)


def handle_unclaimed_goods(now: datetime) -> dict[str, int]:
    """Pickup orders waiting UNCLAIMED_REMIND_DAYS since arrival: the shopper is reminded once; still waiting
    after UNCLAIMED_FLAG_DAYS: flagged for customer service once (``unclaimed_flagged_at``)."""
    config = settings()
    limit = config.job_batch_size
    return {
        "reminded": drain(remind_unclaimed_batch, now=now, days=config.unclaimed_remind_days, limit=limit),
        "flagged": drain(orders.flag_unclaimed_batch, now=now, days=config.unclaimed_flag_days, limit=limit),
    }
