"""Group page and open-group request; the shopper's deal card and deal page, with the leader's group."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.catalog.enums import DealPhase
from groupbuy.catalog.schemas import CategorySchema, MemberPriceSchema
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


class GroupProgressSchema(ma.Schema):
    """My leader's group for a deal: how far it is from succeeding."""

    id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(GroupStatus, by_value=True, required=True)
    units_ordered = ma.fields.Integer(attribute="units_reserved", required=True)
    units_paid = ma.fields.Integer(required=True)


class DealCardSchema(ma.Schema):
    """A deal in the shopper's list."""

    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    image = ma.fields.String(allow_none=True, required=True)
    group_price_fen = ma.fields.Integer(required=True)
    list_price_fen = ma.fields.Integer(required=True)
    stock_left = ma.fields.Integer(required=True)
    sold_out = ma.fields.Boolean(required=True)
    cutoff_at = UtcDateTime(required=True)
    seconds_to_cutoff = ma.fields.Integer(required=True)
    pickup_date = ma.fields.Date(required=True)
    min_group_quantity = ma.fields.Integer(required=True)
    limit_per_user = ma.fields.Integer(required=True)
    group = ma.fields.Nested(
        GroupProgressSchema,
        allow_none=True,
        required=True,
        metadata={"description": "my leader's group for this deal; null without a leader or before any order"},
    )


class DealDetailSchema(DealCardSchema):
    """The deal page: also shown before it opens and after it closes, with its phase."""

    description = ma.fields.String(required=True)
    images = ma.fields.List(ma.fields.String(), required=True)
    category = ma.fields.Nested(CategorySchema, required=True)
    starts_at = UtcDateTime(required=True)
    status = ma.fields.Enum(DealPhase, by_value=True, required=True)
    member_prices = ma.fields.List(
        ma.fields.Nested(MemberPriceSchema),
        required=True,
        metadata={"description": "price per membership tier (that tier and above); the best one applies at checkout"},
    )
