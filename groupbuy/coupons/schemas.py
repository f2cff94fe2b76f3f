"""Coupon templates (admin), the coupon centre and the wallet."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from groupbuy.common.fields import AwareDateTime, Fen, Id, StrictBoolean, StrictInt, Text, UtcDateTime
from groupbuy.common.pagination import PageQuerySchema
from groupbuy.coupons.enums import CouponKind, CouponScope, WalletStatus


class _TemplateFields(ma.Schema):
    name = Text(60)
    kind = ma.fields.Enum(CouponKind, by_value=True)
    amount_off_fen = Fen(allow_none=True, validate=validate.Range(min=1, max=10**7))
    percent_off = StrictInt(1, 99, allow_none=True, metadata={"description": "percent off (percent_off coupons)"})
    max_discount_fen = Fen(allow_none=True, validate=validate.Range(min=1, max=10**7), metadata={"description": "cap"})
    min_spend_fen = Fen(metadata={"description": "minimum spend on the goods the coupon covers"})
    scope = ma.fields.Enum(
        CouponScope,
        by_value=True,
        metadata={"description": "all deals, one category (category_id), one deal (deal_id), or new_leader"},
    )
    category_id = Id(allow_none=True)
    deal_id = Id(allow_none=True)
    valid_from = AwareDateTime()
    valid_until = AwareDateTime()
    total_quantity = StrictInt(1, 10**7)
    per_user_limit = StrictInt(1, 100)
    tiers_allowed = ma.fields.List(
        ma.fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$")),
        validate=validate.Length(max=10),
        metadata={"description": "membership tier codes; empty: all"},
    )
    stackable = StrictBoolean(metadata={"description": "stored; an order takes one coupon today"})
    active = StrictBoolean(metadata={"description": "claimable; false stops new claims"})


class TemplateCreateSchema(_TemplateFields):
    name = Text(60, required=True)
    kind = ma.fields.Enum(CouponKind, by_value=True, required=True)
    scope = ma.fields.Enum(CouponScope, by_value=True, required=True)
    valid_from = AwareDateTime(required=True)
    valid_until = AwareDateTime(required=True)
    total_quantity = StrictInt(1, 10**7, required=True)


class TemplateUpdateSchema(_TemplateFields):
    pass


class TemplateQuerySchema(PageQuerySchema):
    active = StrictBoolean()


class TemplateSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.Enum(CouponKind, by_value=True, required=True)
    amount_off_fen = ma.fields.Integer(allow_none=True)
    percent_off = ma.fields.Integer(allow_none=True)
    max_discount_fen = ma.fields.Integer(allow_none=True)
    min_spend_fen = ma.fields.Integer(required=True)
    scope = ma.fields.Enum(CouponScope, by_value=True, required=True)
    category_id = ma.fields.Integer(allow_none=True)
    deal_id = ma.fields.Integer(allow_none=True)
    valid_from = UtcDateTime(required=True)
    valid_until = UtcDateTime(required=True)
    total_quantity = ma.fields.Integer(required=True)
    claimed_quantity = ma.fields.Integer(required=True)
    per_user_limit = ma.fields.Integer(required=True)
    tiers_allowed = ma.fields.List(ma.fields.String(), required=True)
    stackable = ma.fields.Boolean(required=True)
    active = ma.fields.Boolean(required=True)


class ClaimableSchema(ma.Schema):
    template = ma.fields.Nested(TemplateSchema, required=True)
    left = ma.fields.Integer(required=True, metadata={"description": "coupons of this template left to claim"})
    claimed_by_me = ma.fields.Integer(required=True)


class ClaimableListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ClaimableSchema), required=True)


class WalletCouponSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(WalletStatus, by_value=True, attribute="wallet_status", required=True)
    template = ma.fields.Nested(TemplateSchema, required=True)
    order_id = ma.fields.Integer(attribute="coupon.order_id", allow_none=True)
    claimed_at = UtcDateTime(attribute="coupon.claimed_at", required=True)
    locked_at = UtcDateTime(attribute="coupon.locked_at", allow_none=True)
    used_at = UtcDateTime(attribute="coupon.used_at", allow_none=True)


class WalletQuerySchema(ma.Schema):
    status = ma.fields.Enum(WalletStatus, by_value=True)


class WalletSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(WalletCouponSchema), required=True)
