"""How long after receipt a shopper may ask for after-sale help: the one place the windows are decided.

- Fresh produce (a line whose deal's category has ``is_fresh``): ``after_sale_fresh_hours`` (48 h), whatever the
  reason, even with order protection (fresh goods do not keep).
- Anything else: ``after_sale_window_days`` (7 days) for any reason.
- Quality problems on non-fresh goods: order protection (60 days, seed 000) when the shopper's membership tier
  has it: ``order_protection_days_for`` reads the tier's ``order_protection_days`` (membership_tiers), capped by
  the platform's ``order_protection_days`` setting (0 turns order protection off for everyone).

The clock starts when the goods were received: the order's pickup (or delivery) in its timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from groupbuy.aftersales.enums import AfterSaleReason
from groupbuy.membership.service import benefits_of
from groupbuy.settings import settings


def order_protection_days_for(*, user_id: int, now: datetime) -> int | None:
    """Does this shopper have order protection, and for how many days after receipt? None: no protection.

    The shopper's membership tier decides (its ``order_protection_days``, 0 = none); the setting caps it."""
    days = min(benefits_of(user_id, now=now).order_protection_days, settings().order_protection_days)
    return days or None


def window_closes_at(
    *, received_at: datetime, fresh: bool, reason: AfterSaleReason, user_id: int, now: datetime
) -> datetime:
    """The last moment a request for a line received at ``received_at`` may be opened."""
    s = settings()
    if fresh:
        return received_at + timedelta(hours=s.after_sale_fresh_hours)
    closes = received_at + timedelta(days=s.after_sale_window_days)
    if reason is AfterSaleReason.QUALITY:
        protection = order_protection_days_for(user_id=user_id, now=now)
        if protection is not None:
            closes = max(closes, received_at + timedelta(days=protection))
    return closes
