"""Membership doors: my membership (tier, spend, progress, benefits) and a CS grant."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.accounts.enums import Tier
from groupbuy.common.fields import AwareDateTime, Fen, Id, StrictInt, Text, UtcDateTime


class TierNameSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"enum": [t.value for t in Tier]})
    name = ma.fields.String(required=True, metadata={"description": "in the caller's language (zh default)"})
    name_zh = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    threshold_fen = Fen(required=True, metadata={"description": "yearly paid-minus-refunded spend that reaches it"})


class BenefitSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        metadata={
            "description": "member_price, monthly_coupons, new_leader_coupon, fast_refund, order_protection, "
            "priority_service"
        },
    )
    name = ma.fields.String(required=True, metadata={"description": "in the caller's language (zh default)"})
    name_zh = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    detail = ma.fields.String(required=True, metadata={"description": "what it gives, in the caller's language"})
    enabled = ma.fields.Boolean(required=True)


class MembershipSchema(ma.Schema):
    tier = ma.fields.Nested(TierNameSchema, required=True)
    spend_fen = Fen(required=True, metadata={"description": "paid minus refunded over the window"})
    window_days = StrictInt(1, 10_000, required=True)
    computed_at = UtcDateTime(required=True)
    next_tier = ma.fields.Nested(TierNameSchema, allow_none=True, required=True)
    to_next_fen = Fen(allow_none=True, required=True, metadata={"description": "spend still needed; null at the top"})
    progress_percent = StrictInt(0, 100, required=True)
    granted_until = UtcDateTime(allow_none=True, required=True, metadata={"description": "a CS grant runs until"})
    benefits = ma.fields.List(ma.fields.Nested(BenefitSchema), required=True)
    tiers = ma.fields.List(ma.fields.Nested(TierNameSchema), required=True, metadata={"description": "lowest first"})


class TierGrantSchema(ma.Schema):
    tier = ma.fields.Enum(Tier, by_value=True, required=True)
    reason = Text(200, required=True)
    until = AwareDateTime(load_default=None, allow_none=True, metadata={"description": "absent: until taken back"})


def _tier_code(**kwargs: object) -> ma.fields.String:
    return ma.fields.String(metadata={"enum": [t.value for t in Tier]}, **kwargs)  # type: ignore[arg-type]


class StandingSchema(ma.Schema):
    user_id = Id(required=True)
    tier = _tier_code(required=True)
    earned_tier = _tier_code(required=True)
    spend_fen = Fen(required=True)
    computed_at = UtcDateTime(required=True)
    granted_tier = _tier_code(allow_none=True, required=True)
    granted_until = UtcDateTime(allow_none=True, required=True)
