"""Checkout request, order (dump), list query."""

from __future__ import annotations

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import validates_schema

from groupbuy.common.fields import Id, MaskedPhone, StrictBoolean, StrictInt, UtcDateTime
from groupbuy.common.pagination import PageQuerySchema
from groupbuy.common.urls import absolute_url
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus, RefundReason


class OrderItemSchema(ma.Schema):
    deal_id = Id(required=True)
    quantity = StrictInt(1, 99, required=True)


class OrderCreateSchema(ma.Schema):
    OPENAPI_RULES: ClassVar[dict[str, Any]] = {  # _items_or_cart
        "oneOf": [
            {"required": ["items"], "properties": {"from_cart": {"enum": [False]}}},
            {"required": ["from_cart"], "properties": {"from_cart": {"enum": [True]}}, "not": {"required": ["items"]}},
        ],
        "not": {"required": ["coupon_id"]},
    }

    leader_id = Id(metadata={"description": "defaults to my leader"})
    items = ma.fields.List(ma.fields.Nested(OrderItemSchema), validate=ma.validate.Length(min=1, max=50))
    from_cart = StrictBoolean(load_default=False)
    fulfilment = ma.fields.Enum(Fulfilment, by_value=True, required=True)
    address_id = Id()
    coupon_id = Id(metadata={"description": "coupons are not offered yet: any value is refused"})

    @validates_schema
    def _items_or_cart(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("items")) == bool(data.get("from_cart")):
            raise ma.ValidationError("Give items, or from_cart: true (not both).", "items")
        if data.get("coupon_id") is not None:
            raise ma.ValidationError("No such coupon.", "coupon_id")


class OrderQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(OrderStatus, by_value=True)


class OrderLineSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    deal_id = ma.fields.Integer(required=True)
    group_id = ma.fields.Integer(required=True)
    product_name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    unit_price_fen = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True)
    line_total_fen = ma.fields.Integer(required=True)
    pickup_date = ma.fields.Date(required=True)
    status = ma.fields.Enum(
        LineStatus, by_value=True, required=True, metadata={"description": "the line's own outcome"}
    )
    refund_reason = ma.fields.Enum(RefundReason, by_value=True, allow_none=True)
    refunded_quantity = ma.fields.Integer(required=True, metadata={"description": "units refunded so far"})
    refunded_fen = ma.fields.Integer(required=True, metadata={"description": "refund granted for those units"})


class TimelineEventSchema(ma.Schema):
    event = ma.fields.Enum(OrderEvent, by_value=True, required=True)
    from_status = ma.fields.Enum(OrderStatus, by_value=True, allow_none=True)
    to_status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    actor = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True)
    at = UtcDateTime(required=True)


class DeliveryAddressSchema(ma.Schema):
    recipient = ma.fields.String()
    phone = MaskedPhone()
    province = ma.fields.String()
    city = ma.fields.String()
    district = ma.fields.String()
    detail = ma.fields.String()


class OrderSummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    fulfilment = ma.fields.Enum(Fulfilment, by_value=True, required=True)
    leader_id = ma.fields.Integer(required=True)
    items_fen = ma.fields.Integer(required=True)
    delivery_fee_fen = ma.fields.Integer(required=True)
    discount_fen = ma.fields.Integer(required=True)
    payable_fen = ma.fields.Integer(required=True)
    paid_fen = ma.fields.Integer(required=True)
    refund_due_fen = ma.fields.Integer(
        required=True, metadata={"description": "refunds granted; payable_fen + refund_due_fen = paid_fen once paid"}
    )
    refunded_fen = ma.fields.Integer(required=True, metadata={"description": "refunds that reached the shopper"})
    pickup_date = ma.fields.Date(required=True)
    pickup_code = ma.fields.String(allow_none=True, metadata={"description": "issued once paid"})
    pay_before = UtcDateTime(required=True)
    paid_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime(required=True)


def _pickup_qr_url(order: Any) -> str | None:
    return absolute_url(f"/api/v1/orders/{order.id}/pickup-qr.png") if order.pickup_code else None


class OrderSchema(OrderSummarySchema):
    pickup_qr_url = ma.fields.Function(
        _pickup_qr_url,
        allow_none=True,
        metadata={"type": "string", "description": "the pickup code as a QR image (PNG; .svg too); once paid"},
    )
    address = ma.fields.Nested(DeliveryAddressSchema, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)
    timeline = ma.fields.List(ma.fields.Nested(TimelineEventSchema), attribute="events", required=True)
