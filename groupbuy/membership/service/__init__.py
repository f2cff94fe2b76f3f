"""Membership use cases: the tiers and their benefits, a shopper's standing, fast refunds."""

from groupbuy.membership.service.benefits import Benefits, all_tiers, benefits_of, benefits_of_tier, tier_of

__all__ = ["Benefits", "all_tiers", "benefits_of", "benefits_of_tier", "tier_of"]
