"""Page query parameters and the {items, page, page_size, total} envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import marshmallow as ma
from sqlalchemy import Select, func, select

from groupbuy.common.fields import StrictInt
from groupbuy.db import db

T = TypeVar("T")
MAX_PAGE_SIZE = 100


class PageQuerySchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=10**6))
    page_size = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PAGE_SIZE))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int


def paginate(query: Select[Any], *, page: int, page_size: int) -> Page[Any]:
    """Run ``query`` for one page and count the whole result."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return Page(items=list(rows), page=page, page_size=page_size, total=total)


_page_schemas: dict[type[ma.Schema], type[ma.Schema]] = {}


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The page envelope schema for ``item_schema`` (one class per item schema, named for the spec)."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = ma.Schema.from_dict(
            {
                "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
                "page": StrictInt(1, 10**6, required=True),
                "page_size": StrictInt(1, MAX_PAGE_SIZE, required=True),
                "total": StrictInt(0, 2**53, required=True),
            },
            name=name,
        )
    return _page_schemas[item_schema]
