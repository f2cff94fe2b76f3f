"""The platform's coupon templates: created, listed and changed by admins; every change audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from groupbuy.audit.service import record_action
from groupbuy.catalog.models import Category, Deal
from groupbuy.common.pagination import Page, paginate
from groupbuy.coupons.enums import CouponKind, CouponScope
from groupbuy.coupons.models import CouponTemplate
from groupbuy.db import db, transaction
from groupbuy.errors import Invalid, NotFound

_AUDITED = (
    "name",
    "kind",
    "amount_off_fen",
    "percent_off",
    "max_discount_fen",
    "min_spend_fen",
    "scope",
    "category_id",
    "deal_id",
    "total_quantity",
    "per_user_limit",
    "tiers_allowed",
    "stackable",
    "active",
)


def _snapshot(template: CouponTemplate) -> dict[str, Any]:
    values = {name: getattr(template, name) for name in _AUDITED}
    values["valid_from"] = template.valid_from.isoformat()
    values["valid_until"] = template.valid_until.isoformat()
    return values


def _check(template: CouponTemplate) -> None:
    """The rules the CHECK constraints also hold, as 422 field errors instead of a database error."""
    with db.session.no_autoflush:  # the lookups below must not flush a half-checked edit into the CHECKs (a 500)
        _check_fields(template)


def _check_fields(template: CouponTemplate) -> None:
    errors: dict[str, list[str]] = {}
    if template.kind is CouponKind.AMOUNT_OFF:
        if not template.amount_off_fen:
            errors["amount_off_fen"] = ["required for amount_off"]
        if template.percent_off is not None or template.max_discount_fen is not None:
            errors["percent_off"] = ["only for percent_off"]
    else:
        if template.percent_off is None:
            errors["percent_off"] = ["required for percent_off"]
        if not template.max_discount_fen:
            errors["max_discount_fen"] = ["required for percent_off (the cap)"]
        if template.amount_off_fen is not None:
            errors["amount_off_fen"] = ["only for amount_off"]
    if (template.scope is CouponScope.CATEGORY) != (template.category_id is not None):
        errors["category_id"] = ["required for scope category, and only there"]
    elif template.category_id is not None and db.session.get(Category, template.category_id) is None:
        errors["category_id"] = ["no such category"]
    if (template.scope is CouponScope.DEAL) != (template.deal_id is not None):
        errors["deal_id"] = ["required for scope deal, and only there"]
    elif template.deal_id is not None and db.session.get(Deal, template.deal_id) is None:
        errors["deal_id"] = ["no such deal"]
    if template.valid_until <= template.valid_from:
        errors["valid_until"] = ["must be after valid_from"]
    if template.total_quantity < template.claimed_quantity:
        errors["total_quantity"] = [f"{template.claimed_quantity} are already claimed"]
    if errors:
        raise Invalid(errors=errors)


def create_template(*, actor_id: int, now: datetime, **fields: Any) -> CouponTemplate:
    with transaction():
        template = CouponTemplate(**fields, claimed_quantity=0, created_at=now, updated_at=now)
        template.tiers_allowed = sorted(set(fields.get("tiers_allowed") or []))
        template.per_user_limit = fields.get("per_user_limit", 1)
        template.stackable = fields.get("stackable", False)
        template.active = fields.get("active", True)
        template.min_spend_fen = fields.get("min_spend_fen", 0)
        _check(template)
        db.session.add(template)
        db.session.flush()  # its id for the audit entry
        record_action(
            actor_id=actor_id,
            action="coupon_template.create",
            object_type="coupon_template",
            object_id=template.id,
            now=now,
            after=_snapshot(template),
        )
        return template


def update_template(*, actor_id: int, template_id: int, fields: dict[str, Any], now: datetime) -> CouponTemplate:
    with transaction():
        template = db.session.get(CouponTemplate, template_id, with_for_update=True)
        if template is None:
            raise NotFound()
        before = _snapshot(template)
        for name, value in fields.items():
            setattr(template, name, sorted(set(value)) if name == "tiers_allowed" else value)
        _check(template)
        template.updated_at = now
        record_action(
            actor_id=actor_id,
            action="coupon_template.update",
            object_type="coupon_template",
            object_id=template.id,
            now=now,
            before=before,
            after=_snapshot(template),
        )
        return template


def get_template(*, template_id: int) -> CouponTemplate:
    template = db.session.get(CouponTemplate, template_id)
    if template is None:
        raise NotFound()
    return template


def list_templates(*, active: bool | None, page: int, page_size: int) -> Page[CouponTemplate]:
    query = select(CouponTemplate).order_by(CouponTemplate.id.desc())
    if active is not None:
        query = query.where(CouponTemplate.active.is_(active))
    return paginate(query, page=page, page_size=page_size)
