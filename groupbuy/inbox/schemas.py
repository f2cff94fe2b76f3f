"""In-app notification list query and dumps."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.common.fields import StrictInt, UtcDateTime
from groupbuy.common.pagination import MAX_PAGE_SIZE, PageQuerySchema


class NotificationQuerySchema(PageQuerySchema):
    unread = ma.fields.Boolean(metadata={"description": "true: only unread; false: only read; absent: all"})


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "e.g. order_paid, group_failed, leader_stock_list"})
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    payload = ma.fields.Dict(required=True, metadata={"description": "ids and values the app links to"})
    created_at = UtcDateTime(required=True)
    read_at = UtcDateTime(allow_none=True)


class NotificationPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NotificationSchema), required=True)
    page = StrictInt(1, 10**6, required=True)
    page_size = StrictInt(1, MAX_PAGE_SIZE, required=True)
    total = StrictInt(0, 2**53, required=True)
    unread_count = StrictInt(0, 2**53, required=True)


class ReadAllSchema(ma.Schema):
    updated = StrictInt(0, 2**53, required=True, metadata={"description": "how many were unread"})
