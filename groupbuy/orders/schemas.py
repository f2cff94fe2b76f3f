"""Checkout request, order (dump), list query."""

from __future__ import annotations

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import validates_schema

from groupbuy.accounts.enums import Tier
from groupbuy.common.fields import Date, Id, MaskedPhone, StrictBoolean, StrictInt, UtcDateTime
from groupbuy.common.pagination import PageQuerySchema, page_of
from groupbuy.common.urls import absolute_url
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus, PriceKind, RefundReason


class OrderItemSchema(ma.Schema):
    deal_id = Id(required=True)
    quantity = StrictInt(1, 99, required=True)


class OrderCreateSchema(ma.Schema):
    OPENAPI_RULES: ClassVar[dict[str, Any]] = {  # _items_or_cart
        "oneOf": [
            {"required": ["items"], "properties": {"from_cart": {"enum": [False]}}},
            {"required": ["from_cart"], "properties": {"from_cart": {"enum": [True]}}, "not": {"required": ["items"]}},
        ],
    }

    leader_id = Id(metadata={"description": "defaults to my leader"})
    items = ma.fields.List(ma.fields.Nested(OrderItemSchema), validate=ma.validate.Length(min=1, max=50))
    from_cart = StrictBoolean(load_default=False)
    fulfilment = ma.fields.Enum(Fulfilment, by_value=True, required=True)
    address_id = Id()
    coupon_id = Id(
        metadata={
            "description": "one of my coupons (GET /me/coupons): validated, its discount spread over the lines, "
            "locked by the order until it is paid (used) or cancelled/expired unpaid (back in my wallet)"
        }
    )

    @validates_schema
    def _items_or_cart(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("items")) == bool(data.get("from_cart")):
            raise ma.ValidationError("Give items, or from_cart: true (not both).", "items")


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
    discount_fen = ma.fields.Integer(
        required=True, metadata={"description": "this line's share of the coupon discount; paid = total - discount"}
    )
    pickup_date = ma.fields.Date(required=True)
    status = ma.fields.Enum(
        LineStatus, by_value=True, required=True, metadata={"description": "the line's own outcome"}
    )
    refund_reason = ma.fields.Enum(RefundReason, by_value=True, allow_none=True)
    refunded_quantity = ma.fields.Integer(required=True, metadata={"description": "units refunded so far"})
    refunded_fen = ma.fields.Integer(required=True, metadata={"description": "refund granted for those units"})
    price_kind = ma.fields.Enum(
        PriceKind, by_value=True, required=True, metadata={"description": "which price unit_price_fen is"}
    )
    price_tier = ma.fields.Enum(
        Tier, by_value=True, allow_none=True, required=True, metadata={"description": "the member price's tier"}
    )


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
    discount_fen = ma.fields.Integer(required=True, metadata={"description": "the coupon's discount (Σ lines)"})
    coupon_id = ma.fields.Integer(allow_none=True, metadata={"description": "the coupon this order holds or used"})
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


# --- the leader's desk ------------------------------------------------------------------------------

MAX_BATCH = 200  # orders per batch confirm / stock


class LeaderOrderQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(OrderStatus, by_value=True)
    pickup_date = Date()


class LeaderOrderSchema(OrderSummarySchema):
    """Dumps a LeaderOrderView: the order (lines, delivery address) and the shopper's masked name."""

    shopper_name = ma.fields.String(required=True, metadata={"description": "masked: 王**"})
    address = ma.fields.Nested(DeliveryAddressSchema, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        return super().get_attribute(obj if attr == "shopper_name" else obj.order, attr, default)


class OrderIdsSchema(ma.Schema):
    order_ids = ma.fields.List(Id(), required=True, validate=ma.validate.Length(min=1, max=MAX_BATCH))


class DeskOutcomeSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    ok = ma.fields.Boolean(required=True, metadata={"description": "false: refused, see code and title"})
    status = ma.fields.Enum(OrderStatus, by_value=True, allow_none=True, metadata={"description": "its new status"})
    code = ma.fields.String(allow_none=True, metadata={"description": "not_found, order_not_paid, ..."})
    title = ma.fields.String(allow_none=True)


class DeskBatchSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(DeskOutcomeSchema), required=True)


class PickListQuerySchema(ma.Schema):
    pickup_date = Date(required=True)


class PickListLineSchema(ma.Schema):
    deal_id = ma.fields.Integer(required=True, metadata={"description": "one of the pick list's deals"})
    quantity = ma.fields.Integer(required=True, metadata={"description": "active units (refunded ones left out)"})


class PickListDealSchema(ma.Schema):
    deal_id = ma.fields.Integer(required=True)
    product_name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    units = ma.fields.Integer(required=True)
    orders = ma.fields.Integer(required=True)


class PickListShopperSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    pickup_code = ma.fields.String(allow_none=True)
    status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    fulfilment = ma.fields.Enum(Fulfilment, by_value=True, required=True)
    name = ma.fields.String(required=True, metadata={"description": "masked: 王**"})
    phone = ma.fields.String(allow_none=True, metadata={"description": "masked: 138****1234"})
    units = ma.fields.Integer(required=True)
    lines = ma.fields.List(ma.fields.Nested(PickListLineSchema), required=True)


class PickListSchema(ma.Schema):
    pickup_date = ma.fields.Date(required=True)
    pickup_point_name = ma.fields.String(required=True)
    total_units = ma.fields.Integer(required=True)
    total_orders = ma.fields.Integer(required=True)
    deals = ma.fields.List(ma.fields.Nested(PickListDealSchema), required=True)
    shoppers = ma.fields.List(ma.fields.Nested(PickListShopperSchema), required=True)


class EarningsQuerySchema(PageQuerySchema):
    from_date = Date(
        data_key="from", metadata={"description": "first pickup date; default: 29 days before to, or 29 days ago"}
    )
    to_date = Date(
        data_key="to", metadata={"description": "last pickup date; default: 29 days after from, or 7 days ahead"}
    )


class EarningsTotalsSchema(ma.Schema):
    orders = ma.fields.Integer(required=True)
    net_fen = ma.fields.Integer(required=True, metadata={"description": "paid minus refunds granted"})
    commission_fen = ma.fields.Integer(required=True, metadata={"description": "sum of the per-order amounts"})
    earned_fen = ma.fields.Integer(required=True, metadata={"description": "of completed orders"})
    pending_fen = ma.fields.Integer(required=True, metadata={"description": "of orders not completed yet"})


class EarningsDaySchema(EarningsTotalsSchema):
    date = ma.fields.Date(required=True)


class OrderEarningSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    pickup_date = ma.fields.Date(required=True)
    status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    paid_fen = ma.fields.Integer(required=True)
    refunded_fen = ma.fields.Integer(required=True, metadata={"description": "refunds granted (line refunds)"})
    net_fen = ma.fields.Integer(required=True)
    commission_fen = ma.fields.Integer(required=True, metadata={"description": "net x rate / 10000, rounded down"})
    earning = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["pending", "earned"]), metadata={"enum": ["pending", "earned"]}
    )


class DeductionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(required=True)
    amount_fen = ma.fields.Integer(required=True)
    note = ma.fields.String(required=True)
    at = UtcDateTime(required=True)


class EarningsSchema(ma.Schema):
    from_date = ma.fields.Date(data_key="from", required=True)
    to_date = ma.fields.Date(data_key="to", required=True)
    commission_rate_bp = ma.fields.Integer(required=True)
    totals = ma.fields.Nested(EarningsTotalsSchema, required=True)
    days = ma.fields.List(ma.fields.Nested(EarningsDaySchema), required=True)
    orders = ma.fields.Nested(page_of(OrderEarningSchema), required=True)
    deductions = ma.fields.List(
        ma.fields.Nested(DeductionSchema),
        required=True,
        metadata={"description": "refunds customer service put on the leader (after-sale disputes), by decision day"},
    )
    deductions_fen = ma.fields.Integer(required=True)
    earned_after_deductions_fen = ma.fields.Integer(required=True, metadata={"description": "earned minus deductions"})
