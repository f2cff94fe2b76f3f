"""The shopper's membership figures coupons depend on, read in one place (membership ranks below coupons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from groupbuy.membership.service import benefits_of, tier_of


@dataclass(frozen=True)
class CouponRights:
    tier: str
    monthly_coupon_allowance: int  # coupons a shopper may claim per Shanghai calendar month (new-leader ones aside)
    new_leader_coupon: bool  # may claim "new leader" coupons


def coupon_rights(*, user_id: int, now: datetime) -> CouponRights:
    """The tier and coupon benefits of a shopper now (membership_tiers: data, not branches)."""
    benefits = benefits_of(user_id, now=now)
    return CouponRights(
        tier=benefits.tier,
        monthly_coupon_allowance=benefits.monthly_coupon_allowance,
        new_leader_coupon=benefits.new_leader_coupon,
    )


def shopper_tier(*, user_id: int, now: datetime) -> str:
    """Only the tier code (checkout, for a coupon limited to some tiers)."""
    return tier_of(user_id, now=now)
