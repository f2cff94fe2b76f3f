from __future__ import annotations

import marshmallow as ma

from groupbuy.common.fields import Id, StrictInt, UtcDateTime

PROBLEMS = ["sold_out", "over_limit", "deal_closed"]


class CartItemCreateSchema(ma.Schema):
    deal_id = Id(required=True)
    quantity = StrictInt(1, 99, required=True)


class CartItemUpdateSchema(ma.Schema):
    quantity = StrictInt(1, 99, required=True)


class CartItemSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    deal_id = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True)


class CartLineSchema(ma.Schema):
    id = ma.fields.Integer(attribute="item.id", required=True)
    deal_id = ma.fields.Integer(attribute="deal.id", required=True)
    title = ma.fields.String(attribute="deal.title", required=True)
    product_name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    unit_price_fen = ma.fields.Integer(attribute="deal.group_price_fen", required=True)
    quantity = ma.fields.Integer(attribute="item.quantity", required=True)
    line_total_fen = ma.fields.Integer(required=True)
    stock_left = ma.fields.Integer(attribute="deal.stock_available", required=True)
    limit_per_user = ma.fields.Integer(attribute="deal.limit_per_user", required=True)
    cutoff_at = UtcDateTime(attribute="deal.cutoff_at", required=True)
    problems = ma.fields.List(ma.fields.String(metadata={"enum": PROBLEMS}), required=True)


class BestCouponSchema(ma.Schema):
    coupon_id = ma.fields.Integer(required=True, metadata={"description": "give it as coupon_id at checkout"})
    name = ma.fields.String(required=True)
    discount_fen = ma.fields.Integer(required=True)


class CartSchema(ma.Schema):
    lines = ma.fields.List(ma.fields.Nested(CartLineSchema), required=True)
    total_fen = ma.fields.Integer(required=True, metadata={"description": "lines without problems"})
    best_coupon = ma.fields.Nested(
        BestCouponSchema, allow_none=True, metadata={"description": "my coupon that takes most off those lines"}
    )
    discount_fen = ma.fields.Integer(required=True, metadata={"description": "the best coupon's discount"})
    payable_fen = ma.fields.Integer(
        required=True, metadata={"description": "total_fen less the best coupon (a delivery fee comes on top)"}
    )
