"""Membership tiers by a shopper's yearly spend and the benefits each unlocks (data, not branches): member
prices, coupon allowance, fast refund, order protection, priority service."""
