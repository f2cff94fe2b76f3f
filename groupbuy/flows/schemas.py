"""Goods moving: dispatch, arrival, pickup (load) and what they did (dump); tracking."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validates_schema

from groupbuy.common.fields import Date, Id, StrictInt, UtcDateTime
from groupbuy.orders.enums import Fulfilment, OrderEvent, OrderStatus
from groupbuy.orders.schemas import OrderLineSchema

PICKUP_CODE_PATTERN = r"^[0-9]{8}$"


class DispatchCreateSchema(ma.Schema):
    leader_id = Id(required=True)
    pickup_date = Date(required=True)


class ShippedUnitsSchema(ma.Schema):
    deal_id = ma.fields.Integer(required=True)
    product_name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True)


class ShipmentSchema(ma.Schema):
    leader_id = ma.fields.Integer(required=True)
    pickup_date = ma.fields.Date(required=True)
    order_ids = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": "shipped now"})
    total_units = ma.fields.Integer(required=True)
    units = ma.fields.List(ma.fields.Nested(ShippedUnitsSchema), required=True)


class ArrivalLineSchema(ma.Schema):
    deal_id = Id(required=True)
    received_quantity = StrictInt(0, 1_000_000, required=True)


class ArrivalCreateSchema(ma.Schema):
    pickup_date = Date(required=True)
    lines = ma.fields.List(
        ma.fields.Nested(ArrivalLineSchema),
        load_default=list,
        validate=ma.validate.Length(max=500),
        metadata={"description": "units received per deal; a deal left out arrived in full"},
    )

    @validates_schema
    def _one_line_per_deal(self, data: dict[str, Any], **_: Any) -> None:
        deals = [line["deal_id"] for line in data.get("lines") or []]
        if len(deals) != len(set(deals)):
            raise ma.ValidationError("Each deal may appear once.", "lines")


class ReadyOrderSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    fulfilment = ma.fields.Enum(Fulfilment, by_value=True, required=True)


class ShortageSchema(ma.Schema):
    deal_id = ma.fields.Integer(required=True)
    product_name = ma.fields.String(required=True)
    ordered = ma.fields.Integer(required=True, metadata={"description": "units shipped"})
    received = ma.fields.Integer(required=True)
    refunded_fen = ma.fields.Integer(required=True, metadata={"description": "refunded for the missing units"})
    orders_affected = ma.fields.Integer(required=True)


class ShortageRefundSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    whole_order = ma.fields.Boolean(required=True, metadata={"description": "nothing of the order arrived"})


class ReceiptSchema(ma.Schema):
    arrival_id = ma.fields.Integer(required=True)
    pickup_date = ma.fields.Date(required=True)
    ready = ma.fields.List(ma.fields.Nested(ReadyOrderSchema), required=True)
    refunds = ma.fields.List(ma.fields.Nested(ShortageRefundSchema), required=True)
    shortages = ma.fields.List(ma.fields.Nested(ShortageSchema), required=True)


class PickupSchema(ma.Schema):
    pickup_code = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(PICKUP_CODE_PATTERN),
        metadata={"pattern": PICKUP_CODE_PATTERN, "description": "the 8 digits the shopper shows (or their QR)"},
    )


class HandedOverOrderSchema(ma.Schema):
    """An order as its leader sees it when handing it over (no shopper details)."""

    id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    fulfilment = ma.fields.Enum(Fulfilment, by_value=True, required=True)
    pickup_date = ma.fields.Date(required=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)


class TrackingEventSchema(ma.Schema):
    event = ma.fields.Enum(OrderEvent, by_value=True, required=True)
    from_status = ma.fields.Enum(OrderStatus, by_value=True, allow_none=True)
    to_status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    actor = ma.fields.String(required=True, metadata={"enum": ["shopper", "leader", "platform", "system"]})
    note = ma.fields.String(allow_none=True)
    at = UtcDateTime(required=True)


class TrackingSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    fulfilment = ma.fields.Enum(Fulfilment, by_value=True, required=True)
    pickup_date = ma.fields.Date(required=True)
    events = ma.fields.List(ma.fields.Nested(TrackingEventSchema), required=True)


class UnclaimedOrderSchema(ma.Schema):
    """An order whose goods wait unclaimed at the pickup point (no shopper details: CS opens the order)."""

    id = ma.fields.Integer(required=True)
    order_no = ma.fields.String(required=True)
    leader_id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(OrderStatus, by_value=True, required=True)
    pickup_date = ma.fields.Date(required=True)
    unclaimed_reminded_at = UtcDateTime(allow_none=True)
    unclaimed_flagged_at = UtcDateTime(required=True)
