"""Demo coupons for `make run`: a few claimable templates in the coupon centre (a new-leader coupon, a percent-off
one with a cap, a fruit coupon, one for the top tiers) and the demo shopper holding one.

Everything goes through the coupon services. Nothing is added when the templates are there already, so running
demo-data twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from groupbuy.accounts.models import User
from groupbuy.catalog.models import Category
from groupbuy.coupons.enums import CouponKind, CouponScope
from groupbuy.coupons.models import CouponTemplate
from groupbuy.coupons.service import claim_coupon, create_template
from groupbuy.db import db
from groupbuy.errors import DomainError

NEW_LEADER = "新团长首单满100减10"


def _templates(category_id: int | None) -> list[dict[str, object]]:
    templates: list[dict[str, object]] = [
        {
            "name": NEW_LEADER,
            "kind": CouponKind.AMOUNT_OFF,
            "amount_off_fen": 1000,
            "min_spend_fen": 10000,
            "scope": CouponScope.NEW_LEADER,
            "total_quantity": 1000,
        },
        {
            "name": "全场9折（最高减8元）",
            "kind": CouponKind.PERCENT_OFF,
            "percent_off": 10,
            "max_discount_fen": 800,
            "min_spend_fen": 3000,
            "scope": CouponScope.ALL,
            "total_quantity": 500,
        },
        {
            "name": "企业会员专享满80减15",
            "kind": CouponKind.AMOUNT_OFF,
            "amount_off_fen": 1500,
            "min_spend_fen": 8000,
            "scope": CouponScope.ALL,
            "total_quantity": 200,
            "tiers_allowed": ["enterprise", "enterprise_pro"],
        },
    ]
    if category_id is not None:
        templates.append(
            {
                "name": "水果满20减3",
                "kind": CouponKind.AMOUNT_OFF,
                "amount_off_fen": 300,
                "min_spend_fen": 2000,
                "scope": CouponScope.CATEGORY,
                "category_id": category_id,
                "total_quantity": 300,
            }
        )
    return templates


def load_demo_coupons(*, admin_phone: str, shopper_phone: str, now: datetime) -> str | None:
    """The demo templates and the demo shopper's coupon; None when they exist already (or the users do not)."""
    if db.session.scalar(select(CouponTemplate.id).where(CouponTemplate.name == NEW_LEADER)) is not None:
        return None
    admin = db.session.scalar(select(User).where(User.phone == admin_phone))
    shopper = db.session.scalar(select(User).where(User.phone == shopper_phone))
    if admin is None or shopper is None:
        return None
    fruit = db.session.scalar(select(Category.id).where(Category.name == "水果"))
    made = [
        create_template(
            actor_id=admin.id, now=now, valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=30), **t
        )
        for t in _templates(fruit)
    ]
    held = []
    for template in made[:2]:  # the new-leader coupon (every tier), the percent-off one if the tier allows a claim
        try:
            held.append(claim_coupon(user_id=shopper.id, template_id=template.id, now=now).template.name)
        except DomainError:
            continue
    return f"Demo coupons: {len(made)} in the coupon centre; {shopper.nickname} holds {', '.join(held) or 'none'}."
