"""Coupon use cases: templates (admin), the coupon centre and wallet, pricing at checkout."""

from groupbuy.coupons.service.claims import (
    Claimable,
    WalletCoupon,
    available_templates,
    claim_coupon,
    month_of,
    wallet,
    wallet_status,
)
from groupbuy.coupons.service.pricing import (
    BestCoupon,
    CouponTerms,
    PricedLine,
    best_coupon,
    discount_of,
    line_discounts,
    lock_coupon,
    lock_coupon_after,
    release_coupons,
    returning_shopper,
    spread,
    use_coupons,
    with_coupon,
)
from groupbuy.coupons.service.templates import create_template, get_template, list_templates, update_template
from groupbuy.coupons.service.tiers import CouponRights, coupon_rights

__all__ = [
    "BestCoupon",
    "Claimable",
    "CouponRights",
    "CouponTerms",
    "PricedLine",
    "WalletCoupon",
    "available_templates",
    "best_coupon",
    "claim_coupon",
    "coupon_rights",
    "create_template",
    "discount_of",
    "get_template",
    "line_discounts",
    "list_templates",
    "lock_coupon",
    "lock_coupon_after",
    "month_of",
    "release_coupons",
    "returning_shopper",
    "spread",
    "update_template",
    "use_coupons",
    "wallet",
    "wallet_status",
    "with_coupon",
]
