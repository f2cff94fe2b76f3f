"""Dump schemas of the data export (there is nothing to load: both endpoints take no body)."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.accounts.enums import Tier, UserStatus
from groupbuy.accounts.schemas import AddressSchema
from groupbuy.common.fields import MaskedPhone, UtcDateTime
from groupbuy.inbox.schemas import NotificationSchema
from groupbuy.leaders.schemas import LeaderApplicationSchema, LeaderCreditEventSchema, LeaderPrivateSchema
from groupbuy.orders.schemas import OrderSchema
from groupbuy.payments.enums import PaymentStatus
from groupbuy.payments.providers import PaymentChannel, ProviderName
from groupbuy.payments.schemas import RefundSchema

EXPORT_FORMAT = "groupbuy-export/1"


class ExportProfileSchema(ma.Schema):
    """My profile as stored: the e-mail in full (it is my own copy); the phone stays masked like everywhere."""

    id = ma.fields.Integer(required=True)
    nickname = ma.fields.String(required=True)
    avatar_url = ma.fields.String(allow_none=True)
    phone = MaskedPhone(allow_none=True, metadata={"description": "masked, e.g. 138****1234"})
    email = ma.fields.String(allow_none=True)
    roles = ma.fields.Function(lambda user: sorted(r.value for r in user.role_names), required=True)
    status = ma.fields.Enum(UserStatus, by_value=True, required=True)
    tier = ma.fields.Enum(Tier, by_value=True, required=True)
    current_leader_id = ma.fields.Integer(allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class ExportSessionSchema(ma.Schema):
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    revoked_at = UtcDateTime(allow_none=True)


class ExportCartItemSchema(ma.Schema):
    deal_id = ma.fields.Integer(required=True)
    quantity = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class ExportPaymentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(required=True)
    channel = ma.fields.Enum(PaymentChannel, by_value=True, required=True)
    provider = ma.fields.Enum(ProviderName, by_value=True, required=True)
    out_trade_no = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.Enum(PaymentStatus, by_value=True, required=True)
    transaction_id = ma.fields.String(allow_none=True)
    paid_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime(required=True)


class ExportAuditEntrySchema(ma.Schema):
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(required=True)
    object_id = ma.fields.Integer(required=True)
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    at = UtcDateTime(required=True)


class ExportMessageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    conversation_id = ma.fields.Integer(required=True)
    side = ma.fields.String(required=True, metadata={"description": "shopper, or staff (as leader or cs)"})
    text = ma.fields.String(attribute="body", required=True)
    images = ma.fields.Function(lambda m: [i.upload_id for i in m.images], metadata={"description": "upload ids"})
    order_id = ma.fields.Integer(allow_none=True)
    created_at = UtcDateTime(required=True)


class ExportReviewSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(required=True)
    order_item_id = ma.fields.Integer(attribute="order_line_id", required=True)
    deal_id = ma.fields.Integer(required=True)
    rating = ma.fields.Integer(required=True)
    content = ma.fields.String(required=True)
    images = ma.fields.List(
        ma.fields.Integer(), attribute="photo_ids", required=True, metadata={"description": "upload ids"}
    )
    follow_up_content = ma.fields.String(allow_none=True, required=True)
    follow_up_images = ma.fields.List(
        ma.fields.Integer(), attribute="follow_up_photo_ids", allow_none=True, required=True
    )
    follow_up_at = UtcDateTime(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    hidden = ma.fields.Function(
        lambda r: r.hidden_at is not None, metadata={"description": "hidden by customer service"}
    )


class ExportUploadSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    content_type = ma.fields.String(required=True)
    width = ma.fields.Integer(required=True)
    height = ma.fields.Integer(required=True)
    size = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    attached = ma.fields.Function(lambda u: u.attached_at is not None, metadata={"description": "in use"})


class DataExportSchema(ma.Schema):
    format = ma.fields.Constant(EXPORT_FORMAT, required=True, metadata={"description": "version of this layout"})
    generated_at = UtcDateTime(required=True)
    profile = ma.fields.Nested(ExportProfileSchema, required=True)
    wechat_linked = ma.fields.Boolean(required=True, metadata={"description": "a WeChat identity is linked"})
    sessions = ma.fields.List(ma.fields.Nested(ExportSessionSchema), required=True)
    addresses = ma.fields.List(ma.fields.Nested(AddressSchema), required=True)
    cart = ma.fields.List(ma.fields.Nested(ExportCartItemSchema), required=True)
    orders = ma.fields.List(ma.fields.Nested(OrderSchema), required=True)
    payments = ma.fields.List(ma.fields.Nested(ExportPaymentSchema), required=True)
    refunds = ma.fields.List(ma.fields.Nested(RefundSchema), required=True)
    notifications = ma.fields.List(ma.fields.Nested(NotificationSchema), required=True)
    leader_applications = ma.fields.List(ma.fields.Nested(LeaderApplicationSchema), required=True)
    leader = ma.fields.Nested(LeaderPrivateSchema, allow_none=True, metadata={"description": "my pickup point"})
    credit_events = ma.fields.List(ma.fields.Nested(LeaderCreditEventSchema), required=True)
    audit_entries = ma.fields.List(
        ma.fields.Nested(ExportAuditEntrySchema), required=True, metadata={"description": "actions about me or by me"}
    )
    messages = ma.fields.List(
        ma.fields.Nested(ExportMessageSchema), required=True, metadata={"description": "the messages I wrote"}
    )
    reviews = ma.fields.List(
        ma.fields.Nested(ExportReviewSchema), required=True, metadata={"description": "the reviews I wrote"}
    )
    uploads = ma.fields.List(
        ma.fields.Nested(ExportUploadSchema), required=True, metadata={"description": "the images I uploaded"}
    )
