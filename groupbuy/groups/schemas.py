"""Group page and open-group request."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.common.fields import Id, UtcDateTime
from groupbuy.common.pagination import PageQuerySchema
from groupbuy.groups.enums import GroupStatus


class GroupOpenSchema(ma.Schema):
    deal_id = Id(required=True)


class GroupDealSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    group_price_fen = ma.fields.Integer(required=True)
    cutoff_at = UtcDateTime(required=True)
    pickup_date = ma.fields.Date(required=True)


class GroupLeaderSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    pickup_point_name = ma.fields.String(required=True)
    address = ma.fields.String(required=True)


class GroupSchema(ma.Schema):
    """Dumps a GroupView (group + deal + leader + links)."""

    id = ma.fields.Integer(attribute="group.id", required=True)
    status = ma.fields.Enum(GroupStatus, by_value=True, attribute="group.status", required=True)
    units_ordered = ma.fields.Integer(
        attribute="group.units_reserved", required=True, metadata={"description": "units in live orders so far"}
    )
    units_paid = ma.fields.Integer(attribute="group.units_paid", required=True)
    threshold = ma.fields.Integer(
        attribute="deal.min_group_quantity",
        required=True,
        metadata={"description": "paid units needed for the group to succeed"},
    )
    cutoff_at = UtcDateTime(attribute="deal.cutoff_at", required=True)
    deal = ma.fields.Nested(GroupDealSchema, required=True)
    leader = ma.fields.Nested(GroupLeaderSchema, required=True)
    share_url = ma.fields.String(required=True)
    qr_url = ma.fields.String(required=True)
    created_at = UtcDateTime(attribute="group.created_at", required=True)


class LeaderGroupQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(GroupStatus, by_value=True)


class LeaderGroupSchema(ma.Schema):
    """Dumps a LeaderGroupView: one of my groups with its progress and countdown."""

    id = ma.fields.Integer(attribute="group.id", required=True)
    status = ma.fields.Enum(GroupStatus, by_value=True, attribute="group.status", required=True)
    deal = ma.fields.Nested(GroupDealSchema, required=True)
    units_ordered = ma.fields.Integer(attribute="group.units_reserved", required=True)
    units_paid = ma.fields.Integer(attribute="group.units_paid", required=True)
    threshold = ma.fields.Integer(attribute="deal.min_group_quantity", required=True)
    units_to_go = ma.fields.Integer(required=True, metadata={"description": "paid units still missing; 0 once reached"})
    progress_bp = ma.fields.Integer(
        required=True, metadata={"description": "paid units / threshold x 10000, at most 10000"}
    )
    cutoff_at = UtcDateTime(attribute="deal.cutoff_at", required=True)
    seconds_to_cutoff = ma.fields.Integer(required=True, metadata={"description": "countdown; 0 once closed"})
    closed_at = UtcDateTime(attribute="group.closed_at", allow_none=True)
    share_url = ma.fields.String(required=True)
    qr_url = ma.fields.String(required=True)
