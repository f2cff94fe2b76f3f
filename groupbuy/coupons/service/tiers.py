"""The shopper's membership figures coupons depend on, read in one place (membership ranks below coupons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CouponRights:
    tier: str
    monthly_coupon_allowance: int  # coupons a shopper may claim per Shanghai calendar month (new-leader ones aside)
    new_leader_coupon: bool  # may claim "new leader" coupons


# Until membership's tiers are in: every shopper is a seed member with this allowance.
DEFAULT_TIER = "seed"
DEFAULT_MONTHLY_ALLOWANCE = 5


def coupon_rights(*, user_id: int, now: datetime) -> CouponRights:
    """The tier and coupon benefits of a shopper now."""
    del user_id, now
    return CouponRights(tier=DEFAULT_TIER, monthly_coupon_allowance=DEFAULT_MONTHLY_ALLOWANCE, new_leader_coupon=True)
