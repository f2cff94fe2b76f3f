"""Request (load) and response (dump) schemas for leaders, split by direction."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from groupbuy.common.fields import Fen, Id, MaskedPhone, Phone, StrictBoolean, StrictInt, Text, UtcDateTime
from groupbuy.common.pagination import PageQuerySchema
from groupbuy.leaders.enums import ApplicationStatus, CreditKind, LeaderStatus, LicenceKind
from groupbuy.leaders.models import MAX_DELIVERY_RADIUS_M, MIN_DELIVERY_RADIUS_M
from groupbuy.leaders.service.nearby import DEFAULT_RADIUS_M, MAX_RADIUS_M

MAX_LICENCES = 10
MAX_DELIVERY_FEE_FEN = 10_000  # ¥100: a neighbourhood delivery fee, not a price


def _latitude(**kwargs: Any) -> ma.fields.Float:
    return ma.fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kwargs)


def _longitude(**kwargs: Any) -> ma.fields.Float:
    return ma.fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kwargs)


# --- load ---------------------------------------------------------------------------------------


class LeaderLicenceSchema(ma.Schema):
    kind = ma.fields.Enum(LicenceKind, by_value=True, required=True)
    url = ma.fields.URL(schemes={"http", "https"}, required=True, validate=validate.Length(max=500))


class LeaderApplicationCreateSchema(ma.Schema):
    display_name = Text(40, required=True, metadata={"description": "shown to shoppers"})
    real_name = Text(40, required=True, metadata={"description": "checked by CS; never shown to shoppers"})
    phone = Phone(required=True)
    pickup_point_name = Text(60, required=True)
    address = Text(200, required=True)
    lat = _latitude(required=True)
    lng = _longitude(required=True)
    opening_hours = Text(100, required=True, metadata={"example": "08:00-20:00"})
    licences = ma.fields.List(
        ma.fields.Nested(LeaderLicenceSchema), load_default=list, validate=validate.Length(max=MAX_LICENCES)
    )


class LeaderApplicationQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(ApplicationStatus, by_value=True)


class LeaderApprovalSchema(ma.Schema):
    commission_rate_bp = StrictInt(0, 10_000, metadata={"description": "basis points; default 1000 (10 %)"})


class LeaderReasonSchema(ma.Schema):
    reason = Text(500, required=True)


class NearbyLeadersQuerySchema(PageQuerySchema):
    lat = _latitude(required=True)
    lng = _longitude(required=True)
    radius_m = ma.fields.Integer(load_default=DEFAULT_RADIUS_M, validate=validate.Range(min=1, max=MAX_RADIUS_M))


class ChooseLeaderSchema(ma.Schema):
    leader_id = Id(required=True)


class LeaderProfileUpdateSchema(ma.Schema):
    """What a leader changes about their own point; fields left out stay as they are."""

    opening_hours = Text(100, metadata={"example": "08:00-20:00"})
    orders_paused = StrictBoolean(metadata={"description": "true: new checkouts through me answer 409 leader_paused"})
    offers_delivery = StrictBoolean(metadata={"description": "true needs delivery_radius_m (here or already set)"})
    delivery_fee_fen = Fen(validate=validate.Range(min=0, max=MAX_DELIVERY_FEE_FEN))
    delivery_radius_m = StrictInt(
        MIN_DELIVERY_RADIUS_M,
        MAX_DELIVERY_RADIUS_M,
        metadata={"description": "home delivery only to addresses this close (great-circle metres)"},
    )


# --- dump ---------------------------------------------------------------------------------------


class LeaderLicenceOutSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    url = ma.fields.String(required=True)


class LeaderApplicationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    user_id = ma.fields.Integer(required=True)
    status = ma.fields.Enum(ApplicationStatus, by_value=True, required=True)
    display_name = ma.fields.String(required=True)
    real_name = ma.fields.String(required=True)
    phone = MaskedPhone(required=True)
    pickup_point_name = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lng = ma.fields.Float(required=True)
    opening_hours = ma.fields.String(required=True)
    licences = ma.fields.List(ma.fields.Nested(LeaderLicenceOutSchema), required=True)
    reject_reason = ma.fields.String(allow_none=True)
    reviewed_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class LeaderCreditEventSchema(ma.Schema):
    kind = ma.fields.Enum(CreditKind, by_value=True, required=True)
    points = ma.fields.Integer(required=True)
    ref = ma.fields.String(required=True)
    at = UtcDateTime(required=True)


class LeaderCreditSchema(ma.Schema):
    score = ma.fields.Integer(required=True, metadata={"description": "sum of the breakdown's points"})
    breakdown = ma.fields.List(ma.fields.Nested(LeaderCreditEventSchema), required=True)


class LeaderPublicSchema(ma.Schema):
    """What anyone may see of a pickup point: never the real name or the phone."""

    id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    pickup_point_name = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lng = ma.fields.Float(required=True)
    opening_hours = ma.fields.String(required=True)
    offers_delivery = ma.fields.Boolean(required=True)
    delivery_fee_fen = ma.fields.Integer(required=True)
    delivery_radius_m = ma.fields.Integer(allow_none=True, metadata={"description": "null: no limit set"})
    orders_paused = ma.fields.Boolean(required=True, metadata={"description": "not taking orders for now"})
    identity_verified = ma.fields.Boolean(required=True)
    rating_bp = ma.fields.Integer(allow_none=True, metadata={"description": "positive reviews x 10000; null: none"})
    rating_count = ma.fields.Integer(
        required=True, metadata={"description": "leader ratings behind rating_bp (the last ~6 months)"}
    )
    credit_score = ma.fields.Integer(required=True)
    active_since = UtcDateTime(required=True)


class _LeaderWrapperSchema(LeaderPublicSchema):
    """Dumps a wrapper object: its own ``extra`` fields from the wrapper, the rest from ``wrapper.leader``."""

    extra: frozenset[str] = frozenset()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        return super().get_attribute(obj if attr in self.extra else obj.leader, attr, default)


class NearbyLeaderSchema(_LeaderWrapperSchema):
    extra = frozenset({"distance_m"})

    distance_m = ma.fields.Integer(required=True, metadata={"description": "great-circle distance in metres"})


class LeaderDetailSchema(_LeaderWrapperSchema):
    extra = frozenset({"credit"})

    credit = ma.fields.Nested(LeaderCreditSchema, required=True)


class LeaderPrivateSchema(LeaderPublicSchema):
    """The leader themself and staff: adds status, terms and the (masked) contact."""

    user_id = ma.fields.Integer(required=True)
    application_id = ma.fields.Integer(allow_none=True)
    real_name = ma.fields.String(required=True)
    phone = MaskedPhone(required=True)
    status = ma.fields.Enum(LeaderStatus, by_value=True, required=True)
    commission_rate_bp = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
