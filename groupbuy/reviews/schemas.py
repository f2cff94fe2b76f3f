"""Review bodies, list queries and dumps."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from groupbuy.common.fields import Id, StrictInt, Text, UtcDateTime
from groupbuy.common.pagination import MAX_PAGE_SIZE, PageQuerySchema


def Stars(**kwargs: Any) -> ma.fields.Integer:  # noqa: N802 - a field factory, like Text and StrictInt
    return StrictInt(1, 5, **kwargs)


def Images(**kwargs: Any) -> ma.fields.List[Any]:  # noqa: N802
    description = "upload ids (POST /api/v1/uploads), at most 9"
    return ma.fields.List(Id(), validate=ma.validate.Length(max=9), metadata={"description": description}, **kwargs)


class ReviewItemSchema(ma.Schema):
    order_item_id = Id(required=True, metadata={"description": "a line of this order"})
    rating = Stars(required=True, metadata={"description": "the goods, 1-5 stars"})
    content = Text(1000, min_length=0, multiline=True, metadata={"description": "optional: stars alone are fine"})
    images = Images()


class ReviewCreateSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ReviewItemSchema), load_default=list, validate=ma.validate.Length(max=100))
    leader_rating = Stars(metadata={"description": "the leader, 1-5 stars; once per order"})


class FollowUpCreateSchema(ma.Schema):
    content = Text(1000, multiline=True, required=True)
    images = Images()


class ReviewQuerySchema(PageQuerySchema):
    rating = ma.fields.Integer(validate=ma.validate.Range(min=1, max=5), metadata={"description": "only these stars"})
    with_photos = ma.fields.Boolean(metadata={"description": "true: only with photos; false: only without"})


class CsReviewQuerySchema(PageQuerySchema):
    hidden = ma.fields.Boolean(metadata={"description": "true: only hidden; false: only visible; absent: all"})


class HideReviewSchema(ma.Schema):
    reason = Text(200, required=True, metadata={"description": "kept with the review and in the audit log"})


class ImageSchema(ma.Schema):
    id = StrictInt(1, 2**53, required=True)
    url = ma.fields.String(required=True)
    width = StrictInt(1, 2**31, required=True)
    height = StrictInt(1, 2**31, required=True)


class FollowUpSchema(ma.Schema):
    content = ma.fields.String(required=True)
    images = ma.fields.List(ma.fields.Nested(ImageSchema), required=True)
    created_at = UtcDateTime(required=True)


class ReviewSchema(ma.Schema):
    id = StrictInt(1, 2**53, required=True)
    order_item_id = StrictInt(1, 2**53, required=True)
    deal_id = StrictInt(1, 2**53, required=True)
    leader_id = StrictInt(1, 2**53, required=True)
    product_name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    reviewer = ma.fields.String(required=True, metadata={"description": "the buyer's nickname, masked (王**)"})
    rating = StrictInt(1, 5, required=True)
    content = ma.fields.String(required=True)
    images = ma.fields.List(ma.fields.Nested(ImageSchema), required=True)
    leader_rating = StrictInt(1, 5, allow_none=True, metadata={"description": "the order's leader rating"})
    follow_up = ma.fields.Nested(FollowUpSchema, allow_none=True)
    created_at = UtcDateTime(required=True)


class CsReviewSchema(ReviewSchema):
    order_id = StrictInt(1, 2**53, required=True)
    user_id = StrictInt(1, 2**53, required=True)
    hidden_at = UtcDateTime(allow_none=True)
    hidden_reason = ma.fields.String(allow_none=True)
    hidden_by_id = StrictInt(1, 2**53, allow_none=True)


class OrderReviewsSchema(ma.Schema):
    order_id = StrictInt(1, 2**53, required=True)
    reviews = ma.fields.List(ma.fields.Nested(ReviewSchema), required=True)
    leader_rating = StrictInt(1, 5, allow_none=True)


class ReviewPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ReviewSchema), required=True)
    page = StrictInt(1, 10**6, required=True)
    page_size = StrictInt(1, MAX_PAGE_SIZE, required=True)
    total = StrictInt(0, 2**53, required=True)
    rating_bp = StrictInt(
        0, 10000, allow_none=True, metadata={"description": "positive (4-5 star) share x 10000 over ~6 months"}
    )
    rating_count = StrictInt(0, 2**53, required=True, metadata={"description": "ratings behind rating_bp"})


class CsReviewPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CsReviewSchema), required=True)
    page = StrictInt(1, 10**6, required=True)
    page_size = StrictInt(1, MAX_PAGE_SIZE, required=True)
    total = StrictInt(0, 2**53, required=True)
