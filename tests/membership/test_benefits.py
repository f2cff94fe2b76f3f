"""The tiers are data: the migration seeds the four tiers of seed 000, and benefits_of reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from groupbuy.accounts.enums import Tier
from groupbuy.accounts.models import User
from groupbuy.db import db, transaction
from groupbuy.membership.models import MembershipTier
from groupbuy.membership.service import all_tiers, benefits_of, tier_of
from tests.factories.accounts import make_user

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def test_the_four_tiers_are_seeded_in_rank_order_with_rising_thresholds(ctx: None) -> None:
    tiers = all_tiers()
    assert [t.tier for t in tiers] == ["seed", "accelerate", "enterprise", "enterprise_pro"]
    assert [t.threshold_fen for t in tiers] == sorted(t.threshold_fen for t in tiers)
    assert tiers[0].threshold_fen == 0
    assert not tiers[0].member_price_enabled and tiers[0].fast_refund_limit_fen == 0
    assert tiers[-1].priority_service and tiers[-1].order_protection_days == 60


def test_a_new_shopper_is_seed_and_benefits_follow_the_stored_tier(ctx: None) -> None:
    user = make_user()
    assert tier_of(user.id, now=NOW) == "seed"
    with transaction():
        db.session.execute(update(User).where(User.id == user.id).values(tier=Tier.ENTERPRISE_PRO))
    benefits = benefits_of(user.id, now=NOW)
    assert benefits.tier == "enterprise_pro"
    assert benefits.priority_service is True
    assert benefits.dispute_sla_hours < benefits_of(make_user().id, now=NOW).dispute_sla_hours


def test_benefits_are_read_from_the_table_not_from_the_tier_name(ctx: None) -> None:
    user = make_user(tier=Tier.ACCELERATE)
    try:
        with transaction():
            db.session.execute(
                update(MembershipTier).where(MembershipTier.code == Tier.ACCELERATE).values(order_protection_days=30)
            )
        assert benefits_of(user.id, now=NOW).order_protection_days == 30
    finally:
        with transaction():
            db.session.execute(
                update(MembershipTier).where(MembershipTier.code == Tier.ACCELERATE).values(order_protection_days=0)
            )
