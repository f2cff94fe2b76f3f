"""The tiers as data and what a shopper's tier gives them: benefits_of / tier_of (read by coupons, orders and
after-sales; never an ``if tier ==`` branch anywhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from groupbuy.accounts.enums import Tier
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.membership.models import MembershipTier


@dataclass(frozen=True, slots=True)
class Benefits:
    """What one tier unlocks (a row of membership_tiers)."""

    tier: str  # the tier code: seed, accelerate, enterprise, enterprise_pro
    rank: int  # 0 = the lowest tier
    name_zh: str
    name_en: str
    threshold_fen: int  # paid minus refunded over the last 12 months that reaches the tier
    member_price_enabled: bool
    monthly_coupon_allowance: int
    new_leader_coupon: bool
    fast_refund_limit_fen: int  # 0: no fast refund
    fast_refund_monthly_cap: int
    order_protection_days: int  # 0: the normal after-sale window
    priority_service: bool
    dispute_sla_hours: int


def _benefits(row: MembershipTier) -> Benefits:
    return Benefits(
        tier=Tier(row.code).value,
        rank=row.rank,
        name_zh=row.name_zh,
        name_en=row.name_en,
        threshold_fen=row.threshold_fen,
        member_price_enabled=row.member_price_enabled,
        monthly_coupon_allowance=row.monthly_coupon_allowance,
        new_leader_coupon=row.new_leader_coupon,
        fast_refund_limit_fen=row.fast_refund_limit_fen,
        fast_refund_monthly_cap=row.fast_refund_monthly_cap,
        order_protection_days=row.order_protection_days,
        priority_service=row.priority_service,
        dispute_sla_hours=row.dispute_sla_hours,
    )


def all_tiers() -> list[Benefits]:
    """Every tier, lowest first."""
    return [_benefits(row) for row in db.session.scalars(select(MembershipTier).order_by(MembershipTier.rank))]


def benefits_of_tier(tier: str) -> Benefits:
    row = db.session.get(MembershipTier, Tier(tier))
    if row is None:  # the migration seeds every tier; a missing row is a broken install
        raise LookupError(f"membership tier {tier!r} has no row in membership_tiers")
    return _benefits(row)


def tier_of(user_id: int, *, now: datetime) -> str:
    """The shopper's tier code now (``users.tier``, written by membership.service.standing; ``seed`` if none).

    ``now`` is part of the contract so a caller never needs to know how the tier is kept: a CS grant that runs out
    is taken off by the nightly recompute (standing.recompute_all_tiers).
    """
    tier = db.session.scalar(select(User.tier).where(User.id == user_id))
    return Tier(tier).value if tier is not None else Tier.SEED.value


def benefits_of(user_id: int, *, now: datetime) -> Benefits:
    """What the shopper's tier gives them now."""
    return benefits_of_tier(tier_of(user_id, now=now))
