"""Products (listings) and their SKUs: moderation on write, status moved by conditional UPDATEs, audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.audit.service import record_action
from groupbuy.catalog.enums import ProductStatus
from groupbuy.catalog.models import Category, Product, Sku
from groupbuy.catalog.service.moderation import listing_key, moderation_reason, refuse_duplicate_listing
from groupbuy.common import read_cache
from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound

CONTENT_FIELDS = ("name", "description", "images", "category_id", "supplier")


def _snapshot(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "description": product.description,
        "images": list(product.images),
        "category_id": product.category_id,
        "supplier": product.supplier,
        "status": product.status.value,
        "moderation_reason": product.moderation_reason,
    }


def _require_category(category_id: int) -> None:
    """The category must exist; FOR SHARE keeps it from being deleted until we commit (PostgreSQL)."""
    found = db.session.scalar(select(Category.id).where(Category.id == category_id).with_for_update(read=True))
    if found is None:
        raise Invalid(errors={"category_id": ["no such category"]})


def get_product(*, product_id: int) -> Product:
    """The product with its category and SKUs, or 404."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound()
    return product


def list_products(
    *, status: ProductStatus | None, category_id: int | None, q: str | None, page: int, page_size: int
) -> Page[Product]:
    """Admin view: every product, newest first, optionally by status, category or name."""
    query: Select[Any] = select(Product).order_by(Product.created_at.desc(), Product.id.desc())
    if status is not None:
        query = query.where(Product.status == status)
    if category_id is not None:
        query = query.where(Product.category_id == category_id)
    if q:
        query = query.where(Product.name.icontains(q.strip(), autoescape=True))
    return paginate(query, page=page, page_size=page_size)


def create_product(
    *,
    actor_id: int,
    name: str,
    description: str,
    images: list[str],
    category_id: int,
    supplier: str,
    now: datetime,
) -> Product:
    """A new listing goes live (active) unless moderation holds it; the same listing twice in 2 h is a 409."""
    name, supplier = name.strip(), supplier.strip()
    with transaction():
        _require_category(category_id)
        key = listing_key(supplier=supplier, name=name)
        refuse_duplicate_listing(key=key, now=now)
        reason = moderation_reason(name=name, description=description)
        product = Product(
            name=name,
            description=description,
            images=list(images),
            category_id=category_id,
            supplier=supplier,
            listing_key=key,
            status=ProductStatus.HELD if reason else ProductStatus.ACTIVE,
            moderation_reason=reason,
            created_by_id=actor_id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(product)
        db.session.flush()  # the audit entry needs the id
        record_action(
            actor_id=actor_id,
            action="product.create",
            object_type="product",
            object_id=product.id,
            now=now,
            after=_snapshot(product),
        )
        return product


def _set_status(product_id: int, *, expected: tuple[ProductStatus, ...], values: dict[str, Any]) -> bool:
    """Move the status only if it is still one of ``expected``: the one way a product's status changes."""
    result = db.session.execute(
        update(Product)
        .where(Product.id == product_id, Product.status.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)  # callers refresh the product they return
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def _edit_content(product: Product, fields: dict[str, Any], now: datetime) -> None:
    """Apply content edits; a live listing whose new content fails moderation is held again."""
    if "category_id" in fields:
        _require_category(fields["category_id"])
    for key in CONTENT_FIELDS:
        if key in fields:
            value = fields[key]
            setattr(product, key, value.strip() if key in ("name", "supplier") else value)
    if "name" in fields or "supplier" in fields:
        product.listing_key = listing_key(supplier=product.supplier, name=product.name)
        refuse_duplicate_listing(key=product.listing_key, now=now, exclude_id=product.id)
    product.updated_at = now
    db.session.flush()  # write the content before the conditional status UPDATE reads the row
    reason = moderation_reason(name=product.name, description=product.description)
    if reason and ("name" in fields or "description" in fields):
        _set_status(
            product.id,
            expected=(ProductStatus.ACTIVE, ProductStatus.HELD),
            values={"status": ProductStatus.HELD, "moderation_reason": reason},
        )


def _toggle_active(product: Product, active: bool, now: datetime) -> None:
    """Deactivate an active or held product; reactivate an inactive one (held again if it fails moderation)."""
    if active:
        if product.status is ProductStatus.HELD:
            raise Conflict("product_held")
        reason = moderation_reason(name=product.name, description=product.description)
        _set_status(
            product.id,
            expected=(ProductStatus.INACTIVE,),
            values={
                "status": ProductStatus.HELD if reason else ProductStatus.ACTIVE,
                "moderation_reason": reason,
                "updated_at": now,
            },
        )
    else:
        _set_status(
            product.id,
            expected=(ProductStatus.ACTIVE, ProductStatus.HELD),
            values={"status": ProductStatus.INACTIVE, "updated_at": now},
        )


def update_product(*, actor_id: int, product_id: int, fields: dict[str, Any], now: datetime) -> Product:
    """Edit a listing (moderated again) and/or deactivate (`active: false`) / reactivate (`active: true`) it."""
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        product = get_product(product_id=product_id)
        before = _snapshot(product)
        if any(key in fields for key in CONTENT_FIELDS):
            _edit_content(product, fields, now)
            db.session.refresh(product)
        if "active" in fields:
            _toggle_active(product, fields["active"], now)
            db.session.refresh(product)
        if _snapshot(product) == before:
            return product  # nothing changed (e.g. deactivating an inactive product): nothing to audit
        record_action(
            actor_id=actor_id,
            action="product.update",
            object_type="product",
            object_id=product.id,
            now=now,
            before=before,
            after=_snapshot(product),
        )
        return product


def approve_product(*, actor_id: int, product_id: int, now: datetime) -> Product:
    """A reviewer releases a held listing: held → active; anything else is a 409."""
    return _review(actor_id=actor_id, product_id=product_id, approve=True, reason=None, now=now)


def reject_product(*, actor_id: int, product_id: int, reason: str, now: datetime) -> Product:
    """A reviewer turns a held listing down: held → inactive, with the reason kept."""
    return _review(actor_id=actor_id, product_id=product_id, approve=False, reason=reason, now=now)


def _review(*, actor_id: int, product_id: int, approve: bool, reason: str | None, now: datetime) -> Product:
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        product = get_product(product_id=product_id)
        before = _snapshot(product)
        target = ProductStatus.ACTIVE if approve else ProductStatus.INACTIVE
        values = {"status": target, "moderation_reason": reason, "updated_at": now}
        if not _set_status(product_id, expected=(ProductStatus.HELD,), values=values):
            raise Conflict("product_not_held")
        db.session.refresh(product)
        record_action(
            actor_id=actor_id,
            action="product.approve" if approve else "product.reject",
            object_type="product",
            object_id=product_id,
            now=now,
            before=before,
            after=_snapshot(product),
            reason=reason,
        )
        return product


def _sku_snapshot(sku: Sku) -> dict[str, Any]:
    return {"spec": sku.spec, "list_price_fen": sku.list_price_fen, "stock": sku.stock}


def _save_unique_spec(sku: Sku) -> None:
    """Write the SKU in a savepoint: a spec the product already has is a 409, not a failed transaction."""
    try:
        with db.session.begin_nested():
            db.session.add(sku)
    except IntegrityError as exc:
        raise Conflict("duplicate_sku") from exc


def add_sku(*, actor_id: int, product_id: int, spec: str, list_price_fen: int, stock: int, now: datetime) -> Sku:
    """Add a variant to a product; specs are unique per product."""
    with transaction():
        get_product(product_id=product_id)
        sku = Sku(
            product_id=product_id,
            spec=spec.strip(),
            list_price_fen=list_price_fen,
            stock=stock,
            created_at=now,
            updated_at=now,
        )
        _save_unique_spec(sku)
        record_action(
            actor_id=actor_id,
            action="sku.create",
            object_type="sku",
            object_id=sku.id,
            now=now,
            after=_sku_snapshot(sku),
        )
        return sku


def get_sku(*, sku_id: int) -> Sku:
    """The SKU, or 404."""
    sku = db.session.get(Sku, sku_id)
    if sku is None:
        raise NotFound()
    return sku


def adjust_sku_stock(*, sku_id: int, delta: int, now: datetime) -> None:
    """Add or remove free units atomically; never below zero, so units allocated to deals stay theirs (409)."""
    with transaction():
        result = db.session.execute(
            update(Sku)
            .where(Sku.id == sku_id, Sku.stock + delta >= 0)
            .values(stock=Sku.stock + delta, updated_at=now)
            .execution_options(synchronize_session=False)  # callers refresh the SKU they return
        )
        if not result.rowcount:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            get_sku(sku_id=sku_id)  # 404 if unknown
            raise Conflict("insufficient_stock")


def update_sku(*, actor_id: int, sku_id: int, fields: dict[str, Any], now: datetime) -> Sku:
    """Edit spec or list price, and/or move stock by `stock_delta` (conditional, never below zero)."""
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        sku = get_sku(sku_id=sku_id)
        before = _sku_snapshot(sku)
        if "spec" in fields:
            sku.spec = fields["spec"].strip()
        if "list_price_fen" in fields:
            sku.list_price_fen = fields["list_price_fen"]
        sku.updated_at = now
        _save_unique_spec(sku)
        if fields.get("stock_delta"):
            adjust_sku_stock(sku_id=sku_id, delta=fields["stock_delta"], now=now)
        db.session.refresh(sku)
        if _sku_snapshot(sku) == before:
            return sku  # nothing changed: nothing to audit
        record_action(
            actor_id=actor_id,
            action="sku.update",
            object_type="sku",
            object_id=sku_id,
            now=now,
            before=before,
            after=_sku_snapshot(sku),
        )
        return sku
