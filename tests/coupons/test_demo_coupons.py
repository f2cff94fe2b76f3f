"""The demo's coupons: claimable templates (a new-leader one, a percent-off one with a cap) and the demo shopper
holding one; a second load adds nothing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from groupbuy.accounts.enums import Role
from groupbuy.coupons.enums import CouponKind, CouponScope
from groupbuy.coupons.models import CouponTemplate, UserCoupon
from groupbuy.coupons.service import available_templates
from groupbuy.db import db
from groupbuy.demo_coupons import load_demo_coupons
from tests.factories.accounts import make_user
from tests.factories.catalog import CategoryFactory
from tests.factories.market import T0


def test_demo_coupons_are_claimable_and_the_shopper_holds_one(app: Flask) -> None:
    with app.app_context():
        make_user(Role.ADMIN, phone="13800000001")
        shopper = make_user(phone="13800000003")
        CategoryFactory(name="水果")
        said = load_demo_coupons(admin_phone="13800000001", shopper_phone="13800000003", now=T0)
        assert said is not None and "4 in the coupon centre" in said
        templates = db.session.scalars(select(CouponTemplate)).all()
        kinds = {(t.kind, t.scope) for t in templates}
        assert (CouponKind.AMOUNT_OFF, CouponScope.NEW_LEADER) in kinds
        assert any(t.kind is CouponKind.PERCENT_OFF and t.max_discount_fen for t in templates)
        held = db.session.scalars(select(UserCoupon).where(UserCoupon.user_id == shopper.id)).all()
        assert len(held) >= 1
        other = make_user()
        assert len(available_templates(user_id=other.id, now=T0)) >= 2
        assert load_demo_coupons(admin_phone="13800000001", shopper_phone="13800000003", now=T0) is None
        assert db.session.scalar(select(func.count()).select_from(CouponTemplate)) == 4
