"""Unclaimed goods: a reminder to the shopper after some days at the pickup point, then a flag for CS."""

from __future__ import annotations

from datetime import datetime

from groupbuy.db import transaction
from groupbuy.notifications.enums import NotificationKind as K
from groupbuy.notifications.service import Notice, notify
from groupbuy.orders import service as orders


def remind_unclaimed_batch(*, now: datetime, days: int, after_id: int, limit: int) -> tuple[int, int | None]:
    """Pickup orders ready ``days`` ago and never reminded: one reminder each (marked on the order, so once)."""
    with transaction():
        stamped = orders.mark_unclaimed_reminded_batch(now=now, days=days, after_id=after_id, limit=limit)
        notify(
            notices=[
                Notice(
                    user_id=f.user_id,
                    kind=K.PICKUP_REMINDER,
                    dedupe_key=f"order:{f.order_id}:pickup_reminder",
                    fields={"order_id": f.order_id, "order_no": f.order_no, "pickup_code": f.pickup_code or ""},
                )
                for f in stamped
            ],
            now=now,
        )
        return len(stamped), stamped[-1].order_id if stamped else None
