"""Loads and dumps of conversations, messages and the leader's response figures."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.common.fields import Id, StrictInt, Text, UtcDateTime
from groupbuy.common.pagination import MAX_PAGE_SIZE, PageQuerySchema
from groupbuy.messaging.enums import ConversationKind, Side
from groupbuy.messaging.models import MAX_IMAGES, MAX_TEXT


class ConversationCreateSchema(ma.Schema):
    kind = ma.fields.Enum(ConversationKind, by_value=True, required=True, metadata={"description": "leader or cs"})
    leader_id = Id(metadata={"description": "kind leader: a leader I chose or ordered from (or give order_id)"})
    order_id = Id(metadata={"description": "the conversation is about this order of mine"})
    text = Text(MAX_TEXT, multiline=True, metadata={"description": "a first message"})


class ConversationQuerySchema(PageQuerySchema):
    role = ma.fields.String(
        validate=ma.validate.OneOf(["shopper", "leader", "cs"]),
        metadata={"description": "only the conversations I take part in as this; absent: all of them"},
    )


class LastMessageSchema(ma.Schema):
    side = ma.fields.Enum(Side, by_value=True, required=True)
    text = ma.fields.String(required=True, metadata={"description": "the first characters"})
    has_images = ma.fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)


class ConversationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.Enum(ConversationKind, by_value=True, required=True)
    my_side = ma.fields.Enum(Side, by_value=True, required=True, metadata={"description": "shopper or staff"})
    leader_id = ma.fields.Integer(allow_none=True)
    counterpart_name = ma.fields.String(
        required=True, metadata={"description": "the leader's name or 客服 for the shopper; the shopper's nickname"}
    )
    unread_count = StrictInt(0, 2**53, required=True)
    last_message = ma.fields.Nested(LastMessageSchema, allow_none=True)
    last_message_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime(required=True)


class ConversationPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ConversationSchema), required=True)
    page = StrictInt(1, 10**6, required=True)
    page_size = StrictInt(1, MAX_PAGE_SIZE, required=True)
    total = StrictInt(0, 2**53, required=True)
    unread_total = StrictInt(0, 2**53, required=True, metadata={"description": "unread messages in all of mine"})


class MessageCreateSchema(ma.Schema):
    text = Text(MAX_TEXT, multiline=True, metadata={"description": "required unless images are given"})
    images = ma.fields.List(
        Id(),
        validate=ma.validate.Length(max=MAX_IMAGES),
        metadata={"description": f"ids of my uploads (POST /api/v1/uploads), at most {MAX_IMAGES}"},
    )
    order_id = Id(metadata={"description": "one of the shopper's orders (with this leader) the message is about"})


class MessageImageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)


class MessageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    conversation_id = ma.fields.Integer(required=True)
    sender = ma.fields.String(required=True, metadata={"description": "shopper, leader or cs"})
    sender_name = ma.fields.String(required=True, metadata={"description": "客服 for any cs user"})
    mine = ma.fields.Boolean(required=True)
    text = ma.fields.String(required=True)
    order_id = ma.fields.Integer(allow_none=True)
    order_no = ma.fields.String(allow_none=True)
    images = ma.fields.List(ma.fields.Nested(MessageImageSchema), required=True)
    erased = ma.fields.Boolean(required=True, metadata={"description": "the sender closed their account"})
    created_at = UtcDateTime(required=True)


class MessagePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MessageSchema), required=True)
    page = StrictInt(1, 10**6, required=True)
    page_size = StrictInt(1, MAX_PAGE_SIZE, required=True)
    total = StrictInt(0, 2**53, required=True)


class ResponseFiguresQuerySchema(ma.Schema):
    days = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365), metadata={"description": "default 30"})


class ResponseFiguresSchema(ma.Schema):
    days = StrictInt(1, 365, required=True)
    since = UtcDateTime(required=True)
    answer_hours = StrictInt(1, 24 * 30, required=True)
    inquiries = StrictInt(0, 2**53, required=True)
    answered_in_time = StrictInt(0, 2**53, required=True)
    response_rate_bp = ma.fields.Integer(allow_none=True, metadata={"description": "10000 = 100 %"})
    median_first_response_seconds = ma.fields.Integer(allow_none=True)
