"""After-sale requests and disputes: what the shopper, the leader and customer service send (load) and see (dump)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validates_schema

from groupbuy.aftersales.enums import (
    AfterSaleReason,
    AfterSaleStatus,
    AfterSaleType,
    Decision,
    DisputeStatus,
    EscalatedBy,
    Responsibility,
)
from groupbuy.common.fields import Fen, Id, StrictInt, Text, UtcDateTime
from groupbuy.common.pagination import PageQuerySchema
from groupbuy.orders.schemas import OrderSchema, TimelineEventSchema

MAX_IMAGES = 9


def _images(**kwargs: Any) -> ma.fields.List[Any]:
    return ma.fields.List(
        Id(),
        validate=ma.validate.Length(max=MAX_IMAGES),
        metadata={"description": f"ids of my uploaded photos (at most {MAX_IMAGES})"},
        **kwargs,
    )


class PhotoSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True, metadata={"description": "public, long-cached"})


class AfterSaleItemInSchema(ma.Schema):
    order_item_id = Id(required=True, metadata={"description": "an order line id of this order"})
    quantity = StrictInt(
        1, 99, metadata={"description": "units given back; left out: goods kept (refund_only), all left (return)"}
    )


class AfterSaleCreateSchema(ma.Schema):
    type = ma.fields.Enum(AfterSaleType, by_value=True, required=True)
    items = ma.fields.List(ma.fields.Nested(AfterSaleItemInSchema), required=True, validate=ma.validate.Length(1, 50))
    reason = ma.fields.Enum(AfterSaleReason, by_value=True, required=True)
    description = Text(500, multiline=True, metadata={"description": "what went wrong, in the shopper's words"})
    amount_fen = Fen(required=True, validate=ma.validate.Range(min=1, max=10**9))
    images = _images(load_default=list)

    @validates_schema
    def _each_line_once(self, data: dict[str, Any], **_: Any) -> None:
        lines = [item["order_item_id"] for item in data.get("items") or []]
        if len(lines) != len(set(lines)):
            raise ma.ValidationError("each line once", "items")


class AfterSaleItemSchema(ma.Schema):
    order_item_id = ma.fields.Integer(required=True)
    product_name = ma.fields.String(required=True)
    quantity = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "null: goods kept"})


class AfterSaleEventSchema(ma.Schema):
    from_status = ma.fields.Enum(AfterSaleStatus, by_value=True, allow_none=True, required=True)
    to_status = ma.fields.Enum(AfterSaleStatus, by_value=True, required=True)
    note = ma.fields.String(allow_none=True, required=True)
    at = UtcDateTime(required=True)


class DisputeBriefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(DisputeStatus, by_value=True, required=True)
    sla_due_at = UtcDateTime(required=True)
    decision = ma.fields.Enum(Decision, by_value=True, allow_none=True, required=True)
    refund_fen = ma.fields.Integer(allow_none=True, required=True)
    note = ma.fields.String(allow_none=True, required=True)
    resolved_at = UtcDateTime(allow_none=True, required=True)


class AfterSaleSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(required=True)
    type = ma.fields.Enum(AfterSaleType, by_value=True, required=True)
    reason = ma.fields.Enum(AfterSaleReason, by_value=True, required=True)
    description = ma.fields.String(allow_none=True, required=True)
    amount_fen = ma.fields.Integer(required=True)
    images = ma.fields.List(ma.fields.Integer(), required=True, metadata={"description": "upload ids"})
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema), required=True, metadata={"description": "the evidence"})
    status = ma.fields.Enum(AfterSaleStatus, by_value=True, required=True)
    answer_due_at = UtcDateTime(required=True)
    leader_note = ma.fields.String(allow_none=True, required=True, metadata={"description": "why it was rejected"})
    answered_at = UtcDateTime(allow_none=True, required=True)
    refund_fen = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "granted"})
    items = ma.fields.List(ma.fields.Nested(AfterSaleItemSchema), required=True)
    events = ma.fields.List(ma.fields.Nested(AfterSaleEventSchema), required=True)
    dispute = ma.fields.Nested(DisputeBriefSchema, allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


class AfterSaleQuerySchema(PageQuerySchema):
    pass


class LeaderAfterSaleQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(AfterSaleStatus, by_value=True)


class RejectSchema(ma.Schema):
    reason = Text(500, multiline=True, required=True)


class EscalateSchema(ma.Schema):
    statement = Text(1000, multiline=True, metadata={"description": "why the shopper disagrees"})
    images = _images(load_default=list)


class DisputeQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(DisputeStatus, by_value=True, load_default=DisputeStatus.OPEN)


class DisputeSchema(ma.Schema):
    id = ma.fields.Integer(attribute="dispute.id", required=True)
    request_id = ma.fields.Integer(attribute="dispute.request_id", required=True)
    order_id = ma.fields.Integer(attribute="dispute.order_id", required=True)
    order_no = ma.fields.String(required=True)
    status = ma.fields.Enum(DisputeStatus, by_value=True, attribute="dispute.status", required=True)
    escalated_by = ma.fields.Enum(EscalatedBy, by_value=True, attribute="dispute.escalated_by", required=True)
    priority = ma.fields.Boolean(attribute="dispute.priority", required=True)
    sla_due_at = UtcDateTime(attribute="dispute.sla_due_at", required=True)
    overdue = ma.fields.Boolean(required=True)
    amount_fen = ma.fields.Integer(attribute="request.amount_fen", required=True, metadata={"description": "asked"})
    reason = ma.fields.Enum(AfterSaleReason, by_value=True, attribute="request.reason", required=True)
    decision = ma.fields.Enum(Decision, by_value=True, attribute="dispute.decision", allow_none=True, required=True)
    refund_fen = ma.fields.Integer(attribute="dispute.refund_fen", allow_none=True, required=True)
    responsibility = ma.fields.Enum(
        Responsibility, by_value=True, attribute="dispute.responsibility", allow_none=True, required=True
    )
    created_at = UtcDateTime(attribute="dispute.created_at", required=True)
    resolved_at = UtcDateTime(attribute="dispute.resolved_at", allow_none=True, required=True)


class StatementSchema(ma.Schema):
    party = ma.fields.String(required=True, validate=ma.validate.OneOf(["shopper", "leader"]))
    text = ma.fields.String(allow_none=True, required=True)
    images = ma.fields.List(ma.fields.Integer(), required=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema), required=True)
    at = UtcDateTime(allow_none=True, required=True)


class CasePaymentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    channel = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    refunded_fen = ma.fields.Integer(required=True)
    paid_at = UtcDateTime(allow_none=True, required=True)


class CaseRefundSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    amount_fen = ma.fields.Integer(required=True)
    source = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)
    succeeded_at = UtcDateTime(allow_none=True, required=True)


class CaseSchema(ma.Schema):
    dispute = ma.fields.Nested(DisputeSchema, attribute="entry", required=True)
    request = ma.fields.Nested(AfterSaleSchema, attribute="entry.request", required=True)
    order = ma.fields.Nested(OrderSchema, required=True)
    tracking = ma.fields.List(ma.fields.Nested(TimelineEventSchema), attribute="tracking.events", required=True)
    payments = ma.fields.List(ma.fields.Nested(CasePaymentSchema), required=True)
    refunds = ma.fields.List(ma.fields.Nested(CaseRefundSchema), required=True)
    statements = ma.fields.List(ma.fields.Nested(StatementSchema), required=True)
    refundable_fen = ma.fields.Integer(required=True, metadata={"description": "the most a decision may refund"})


class ResolveSchema(ma.Schema):
    decision = ma.fields.Enum(Decision, by_value=True, required=True)
    refund_fen = Fen(required=True, validate=ma.validate.Range(min=0, max=10**9))
    responsibility = ma.fields.Enum(Responsibility, by_value=True, required=True)
    note = Text(1000, multiline=True)
