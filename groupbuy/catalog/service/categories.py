"""Categories: unique names, an admin-chosen order; a category in use cannot be deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from groupbuy.audit.service import record_action
from groupbuy.catalog.models import Category, Product
from groupbuy.common import read_cache
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound


def _snapshot(category: Category) -> dict[str, Any]:
    return {"name": category.name, "sort_order": category.sort_order, "is_fresh": category.is_fresh}


def list_categories() -> list[Category]:
    """By sort_order, then name."""
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.name, Category.id)))


def get_category(*, category_id: int) -> Category:
    """The category, or 404."""
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound()
    return category


def _save_unique_name(category: Category) -> None:
    """Write the row in a savepoint so a name taken meanwhile is a 409, not a failed transaction."""
    try:
        with db.session.begin_nested():
            db.session.add(category)
    except IntegrityError as exc:
        raise Conflict("category_name_taken") from exc


def create_category(*, actor_id: int, name: str, sort_order: int, now: datetime, is_fresh: bool = False) -> Category:
    """Add a category; names are unique. ``is_fresh``: fresh produce (the short after-sale window)."""
    with transaction():
        name = name.strip()
        if db.session.scalar(select(Category.id).where(Category.name == name)) is not None:
            raise Conflict("category_name_taken")
        category = Category(name=name, sort_order=sort_order, is_fresh=is_fresh, created_at=now, updated_at=now)
        _save_unique_name(category)
        record_action(
            actor_id=actor_id,
            action="category.create",
            object_type="category",
            object_id=category.id,
            now=now,
            after=_snapshot(category),
        )
        return category


def update_category(*, actor_id: int, category_id: int, fields: dict[str, Any], now: datetime) -> Category:
    """Rename or reorder a category; names stay unique."""
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        category = get_category(category_id=category_id)
        before = _snapshot(category)
        if "name" in fields:
            name = fields["name"].strip()
            taken = select(Category.id).where(Category.name == name, Category.id != category_id)
            if db.session.scalar(taken) is not None:
                raise Conflict("category_name_taken")
            category.name = name
        if "sort_order" in fields:
            category.sort_order = fields["sort_order"]
        if "is_fresh" in fields:
            category.is_fresh = fields["is_fresh"]
        if _snapshot(category) == before:
            return category  # nothing changed: nothing to write or audit
        category.updated_at = now
        _save_unique_name(category)
        record_action(
            actor_id=actor_id,
            action="category.update",
            object_type="category",
            object_id=category.id,
            now=now,
            before=before,
            after=_snapshot(category),
        )
        return category


def delete_category(*, actor_id: int, category_id: int, now: datetime) -> None:
    """Delete an empty category; one that still holds products is a 409 (the FK refuses it too)."""
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        category = get_category(category_id=category_id)
        if db.session.scalar(select(Product.id).where(Product.category_id == category_id).limit(1)) is not None:
            raise Conflict("category_in_use")
        before = _snapshot(category)
        try:
            with db.session.begin_nested():
                db.session.delete(category)
        except IntegrityError as exc:  # a product was added meanwhile
            raise Conflict("category_in_use") from exc
        record_action(
            actor_id=actor_id,
            action="category.delete",
            object_type="category",
            object_id=category_id,
            now=now,
            before=before,
        )
