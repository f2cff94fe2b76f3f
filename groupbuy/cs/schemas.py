"""Customer service: order search and file, goodwill refunds, suspensions, the audit trail (loads and dumps)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import validates_schema

from groupbuy.common.fields import Date, Fen, Id, MaskedPhone, Phone, StrictInt, Text, UtcDateTime, mask_mobiles_in_text
from groupbuy.common.pagination import PageQuerySchema
from groupbuy.flows.schemas import TrackingSchema
from groupbuy.orders.schemas import DeliveryAddressSchema, OrderLineSchema, OrderSummarySchema
from groupbuy.payments.enums import PaymentStatus
from groupbuy.payments.providers.base import PaymentChannel, ProviderName
from groupbuy.payments.schemas import RefundSchema

# --- order search and file ------------------------------------------------------------------------------------


class OrderSearchSchema(PageQuerySchema):
    order_no = ma.fields.String(validate=ma.validate.Length(min=1, max=24))
    phone = Phone(metadata={"description": "the shopper's (or the delivery address's) mobile; +86 and separators ok"})
    leader_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**53))
    date_from = Date(metadata={"description": "ordered on or after this day (Asia/Shanghai)"})
    date_to = Date(metadata={"description": "ordered on or before this day (Asia/Shanghai)"})

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ma.ValidationError("date_from is after date_to.", "date_from")


class ShopperSchema(ma.Schema):
    id = ma.fields.Integer(required=True, attribute="shopper_id")
    phone = MaskedPhone(allow_none=True, attribute="shopper_phone", metadata={"description": "masked"})
    nickname = ma.fields.String(required=True, attribute="shopper_nickname")


class OrderHitSchema(OrderSummarySchema):
    """Dumps an OrderHit: the order's summary and its shopper (phone masked)."""

    shopper = ma.fields.Nested(ShopperSchema, required=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        return obj if attr == "shopper" else super().get_attribute(obj.order, attr, default)


class CsPaymentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    channel = ma.fields.Enum(PaymentChannel, by_value=True, required=True)
    provider = ma.fields.Enum(ProviderName, by_value=True, required=True)
    out_trade_no = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.Enum(PaymentStatus, by_value=True, required=True)
    applied_to_order = ma.fields.Boolean(required=True)
    refunded_fen = ma.fields.Integer(required=True, metadata={"description": "reserved by refund requests"})
    paid_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime(required=True)


class OrderRefundLineSchema(ma.Schema):
    line_id = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True)
    amount_fen = ma.fields.Integer(required=True)


class OrderRefundSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    delivery_fee_fen = ma.fields.Integer(required=True)
    actor = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)
    refunded_at = UtcDateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderRefundLineSchema), required=True)


class OrderDossierSchema(OrderSummarySchema):
    """Dumps an OrderDossier: the order, its shopper and leader, tracking, payments, refunds granted and sent."""

    shopper = ma.fields.Nested(ShopperSchema, required=True)
    leader_name = ma.fields.String(required=True)
    pickup_point = ma.fields.String(required=True)
    address = ma.fields.Nested(DeliveryAddressSchema, allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)
    tracking = ma.fields.Nested(TrackingSchema, required=True)
    payments = ma.fields.List(ma.fields.Nested(CsPaymentSchema), required=True)
    order_refunds = ma.fields.List(
        ma.fields.Nested(OrderRefundSchema), required=True, metadata={"description": "refunds granted (the ledger)"}
    )
    refunds = ma.fields.List(
        ma.fields.Nested(RefundSchema), required=True, metadata={"description": "provider refunds (money going back)"}
    )

    OWN = frozenset({"shopper", "leader_name", "pickup_point", "tracking", "payments", "order_refunds", "refunds"})

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "shopper":
            return obj
        return super().get_attribute(obj if attr in self.OWN else obj.order, attr, default)


# --- goodwill refunds -----------------------------------------------------------------------------------------


class GoodwillLineSchema(ma.Schema):
    OPENAPI_RULES: ClassVar[dict[str, Any]] = {"oneOf": [{"required": ["quantity"]}, {"required": ["amount_fen"]}]}

    order_item_id = Id(required=True, metadata={"description": "an order line's id"})
    quantity = StrictInt(1, 99, metadata={"description": "units of that line refunded at their price"})
    amount_fen = Fen(validate=ma.validate.Range(min=1, max=10**9), metadata={"description": "or money for kept goods"})

    @validates_schema
    def _units_or_amount(self, data: dict[str, Any], **_: Any) -> None:
        if ("quantity" in data) == ("amount_fen" in data):
            raise ma.ValidationError("Give quantity or amount_fen (not both).", "quantity")


class GoodwillRefundSchema(ma.Schema):
    OPENAPI_RULES: ClassVar[dict[str, Any]] = {"oneOf": [{"required": ["lines"]}, {"required": ["amount_fen"]}]}

    lines = ma.fields.List(ma.fields.Nested(GoodwillLineSchema), validate=ma.validate.Length(1, 50))
    amount_fen = Fen(
        validate=ma.validate.Range(min=1, max=10**9),
        metadata={"description": "or money for the order's kept goods, spread over its lines"},
    )
    reason = Text(500, required=True)

    @validates_schema
    def _lines_or_amount(self, data: dict[str, Any], **_: Any) -> None:
        if ("lines" in data) == ("amount_fen" in data):
            raise ma.ValidationError("Give lines or amount_fen (not both).", "lines")


class GoodwillRefundResultSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    order_refund_id = ma.fields.Integer(required=True)
    amount_fen = ma.fields.Integer(required=True, metadata={"description": "granted; payments sends it back"})
    status = ma.fields.String(required=True, metadata={"description": "the order's status afterwards"})
    whole_order = ma.fields.Boolean(required=True)


# --- audit ----------------------------------------------------------------------------------------------------


class AuditQuerySchema(PageQuerySchema):
    object_type = ma.fields.String(validate=ma.validate.Length(min=1, max=40))
    object_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**53))


def _masked(value: Any) -> Any:
    """An entry's before/after with every mobile number in it masked (the JSON round-trips)."""
    return None if value is None else json.loads(mask_mobiles_in_text(json.dumps(value, ensure_ascii=False)))


class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(required=True)
    object_id = ma.fields.Integer(required=True)
    before = ma.fields.Function(lambda e: _masked(e.before), allow_none=True, metadata={"type": "object"})
    after = ma.fields.Function(lambda e: _masked(e.after), allow_none=True, metadata={"type": "object"})
    reason = ma.fields.Function(
        lambda e: None if e.reason is None else mask_mobiles_in_text(e.reason),
        allow_none=True,
        metadata={"type": "string"},
    )
    at = UtcDateTime(required=True)
