"""Scheduled goods-moving work: dispatch on the pickup date's eve, unclaimed goods. Safe late, twice, in parallel:
work is chosen from order state and every move is guarded on it."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from groupbuy.flows.dispatch import dispatch_orders
from groupbuy.flows.unclaimed import remind_unclaimed_batch
from groupbuy.orders import service as orders
from groupbuy.orders.service import drain


def dispatch_due_orders(now: datetime) -> dict[str, int]:
    """Confirmed/stocking orders whose pickup date is tomorrow (China time, after DISPATCH_HOUR) or earlier →
    shipped, one shipment and one notice per leader and date."""
    config = current_app.config
    counts = {"shipments": 0, "orders_shipped": 0}
    seen: set[tuple[int, date]] = set()
    while True:
        due = [
            pair
            for pair in orders.due_dispatches(
                now=now, dispatch_hour=int(config["DISPATCH_HOUR"]), limit=int(config["JOB_BATCH_SIZE"])
            )
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
    config = current_app.config
    limit = int(config["JOB_BATCH_SIZE"])
    return {
        "reminded": drain(remind_unclaimed_batch, now=now, days=int(config["UNCLAIMED_REMIND_DAYS"]), limit=limit),
        "flagged": drain(orders.flag_unclaimed_batch, now=now, days=int(config["UNCLAIMED_FLAG_DAYS"]), limit=limit),
    }
