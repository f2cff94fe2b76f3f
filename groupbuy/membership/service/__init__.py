"""Membership use cases: the tiers and their benefits, a shopper's standing, fast refunds."""

from groupbuy.membership.service.benefits import Benefits, all_tiers, benefits_of, benefits_of_tier, tier_of
from groupbuy.membership.service.fast_refund import FastRefundAnswer, claim_fast_refund, fast_refunds_used
from groupbuy.membership.service.standing import (
    Standing,
    grant_tier,
    recompute_all_tiers,
    recompute_tier,
    recompute_tiers,
    standing_of,
    yearly_spend,
)
from groupbuy.membership.service.view import benefit_list, my_membership

__all__ = [
    "Benefits",
    "FastRefundAnswer",
    "Standing",
    "all_tiers",
    "benefit_list",
    "benefits_of",
    "benefits_of_tier",
    "claim_fast_refund",
    "fast_refunds_used",
    "grant_tier",
    "my_membership",
    "recompute_all_tiers",
    "recompute_tier",
    "recompute_tiers",
    "standing_of",
    "tier_of",
    "yearly_spend",
]
