"""Request (load) and response (dump) schemas for the catalog, split by direction.

Load schemas never accept server-owned fields: a product's status and moderation reason, a SKU's
absolute stock after creation, a deal's available stock or status.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from groupbuy.accounts.enums import Tier
from groupbuy.catalog.enums import DealStatus, ProductStatus
from groupbuy.common.fields import (
    MAX_FEN,
    MAX_ID,
    AwareDateTime,
    Date,
    Fen,
    Id,
    StrictBoolean,
    StrictInt,
    Text,
    UtcDateTime,
)
from groupbuy.common.pagination import PageQuerySchema

MAX_IMAGES = 9
MAX_UNITS = 10**7


# --- categories --------------------------------------------------------------------------------


class CategoryCreateSchema(ma.Schema):
    name = Text(40, required=True)
    sort_order = StrictInt(-(10**6), 10**6, load_default=0)
    is_fresh = StrictBoolean(load_default=False, metadata={"description": "fresh produce: short after-sale window"})


class CategoryUpdateSchema(ma.Schema):
    name = Text(40)
    sort_order = StrictInt(-(10**6), 10**6)
    is_fresh = StrictBoolean()


class CategorySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    sort_order = ma.fields.Integer(required=True)
    is_fresh = ma.fields.Boolean(required=True)


class CategoryListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CategorySchema), required=True)


# --- products and SKUs -------------------------------------------------------------------------


def _images(**kwargs: Any) -> ma.fields.List[str]:
    url = ma.fields.URL(schemes={"http", "https"}, validate=validate.Length(max=500))
    return ma.fields.List(url, validate=validate.Length(max=MAX_IMAGES), **kwargs)


class ProductCreateSchema(ma.Schema):
    name = Text(60, required=True, metadata={"description": "the listing title"})
    description = Text(5000, min_length=0, multiline=True, required=True)
    images = _images(load_default=list, metadata={"description": f"http(s) URLs, at most {MAX_IMAGES}"})
    category_id = Id(required=True)
    supplier = Text(80, required=True, metadata={"description": "who supplies the goods"})


class ProductUpdateSchema(ma.Schema):
    name = Text(60)
    description = Text(5000, min_length=0, multiline=True)
    images = _images()
    category_id = Id()
    supplier = Text(80)
    active = StrictBoolean(
        metadata={"description": "false deactivates an active or held product; true reactivates an inactive one"}
    )


class ProductQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(ProductStatus, by_value=True)
    category = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    q = Text(60, min_length=0)


class RejectionSchema(ma.Schema):
    reason = Text(200, required=True)


class SkuCreateSchema(ma.Schema):
    spec = Text(40, required=True, metadata={"description": 'e.g. "500 g"'})
    list_price_fen = Fen(required=True, validate=validate.Range(min=1, max=MAX_FEN))
    stock = StrictInt(0, MAX_UNITS, load_default=0)


class SkuUpdateSchema(ma.Schema):
    spec = Text(40)
    list_price_fen = Fen(validate=validate.Range(min=1, max=MAX_FEN))
    stock_delta = StrictInt(
        -MAX_UNITS,
        MAX_UNITS,
        metadata={"description": "units to add (or remove, if negative); stock never goes below zero (409)"},
    )


class SkuSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True)
    spec = ma.fields.String(required=True)
    list_price_fen = ma.fields.Integer(required=True)
    stock = ma.fields.Integer(required=True, metadata={"description": "units not allocated to any deal"})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class ProductSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    images = ma.fields.List(ma.fields.String(), required=True)
    category = ma.fields.Nested(CategorySchema, required=True)
    supplier = ma.fields.String(required=True)
    status = ma.fields.Enum(ProductStatus, by_value=True, required=True)
    moderation_reason = ma.fields.String(allow_none=True)
    skus = ma.fields.List(ma.fields.Nested(SkuSchema), required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


# --- deals -------------------------------------------------------------------------------------


class MemberPriceInSchema(ma.Schema):
    tier = ma.fields.Enum(Tier, by_value=True, required=True, metadata={"description": "this tier and the ones above"})
    price_fen = Fen(
        required=True,
        validate=validate.Range(min=1, max=MAX_FEN),
        metadata={"description": "below the group price, not under the floor (see configuration.md)"},
    )


class MemberPricesSchema(ma.Schema):
    member_prices = ma.fields.List(
        ma.fields.Nested(MemberPriceInSchema),
        required=True,
        validate=validate.Length(max=len(Tier)),
        metadata={"description": "replaces the deal's member prices; [] removes them"},
    )


class MemberPriceSchema(ma.Schema):
    tier = ma.fields.String(required=True, metadata={"enum": [t.value for t in Tier]})
    price_fen = ma.fields.Integer(required=True)


class DealCreateSchema(ma.Schema):
    sku_id = Id(required=True)
    title = Text(120, metadata={"description": "defaults to the product name and the spec"})
    group_price_fen = Fen(required=True, validate=validate.Range(min=1, max=MAX_FEN))
    starts_at = AwareDateTime(required=True)
    cutoff_at = AwareDateTime(required=True)
    pickup_date = Date(required=True)
    min_group_quantity = StrictInt(
        1, MAX_UNITS, load_default=1, metadata={"description": "units per leader for the group to succeed"}
    )
    limit_per_user = StrictInt(1, MAX_UNITS, load_default=99)
    stock_allocated = StrictInt(
        1, MAX_UNITS, required=True, metadata={"description": "units taken from the SKU's stock (409 if short)"}
    )
    member_prices = ma.fields.List(
        ma.fields.Nested(MemberPriceInSchema),
        load_default=list,
        validate=validate.Length(max=len(Tier)),
        metadata={"description": "a price per membership tier: below the group price, not under the floor"},
    )


class DealQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(DealStatus, by_value=True)
    sku_id = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class DealSchema(ma.Schema):
    """The admin's view of a deal."""

    id = ma.fields.Integer(required=True)
    sku_id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True, attribute="sku.product_id")
    title = ma.fields.String(required=True)
    group_price_fen = ma.fields.Integer(required=True)
    starts_at = UtcDateTime(required=True)
    cutoff_at = UtcDateTime(required=True)
    pickup_date = ma.fields.Date(required=True)
    min_group_quantity = ma.fields.Integer(required=True)
    limit_per_user = ma.fields.Integer(required=True)
    stock_allocated = ma.fields.Integer(required=True)
    stock_available = ma.fields.Integer(required=True)
    status = ma.fields.Enum(DealStatus, by_value=True, required=True)
    created_at = UtcDateTime(required=True)
    cancelled_at = UtcDateTime(allow_none=True)
    member_prices = ma.fields.List(ma.fields.Nested(MemberPriceSchema), required=True)


class DealSearchQuerySchema(PageQuerySchema):
    q = Text(50, min_length=0, metadata={"description": "words in the title or description"})
    category = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={"description": "category id"})
