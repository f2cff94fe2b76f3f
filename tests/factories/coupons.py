"""Coupon templates and claimed coupons for the Shop's shoppers (tests.factories.market)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import update

from groupbuy import clock
from groupbuy.accounts.enums import Role, Tier
from groupbuy.accounts.models import User
from groupbuy.coupons.service import claim_coupon, create_template
from groupbuy.db import db, transaction
from tests.factories.accounts import bearer, make_user
from tests.factories.market import T0

_names = itertools.count(1)


def template_fields(**fields: Any) -> dict[str, Any]:
    """An amount-off coupon for every deal, valid a day around T0, 100 of them, one per shopper; override any."""
    return {
        "name": f"满10减3 #{next(_names)}",
        "kind": "amount_off",
        "amount_off_fen": 300,
        "min_spend_fen": 1000,
        "scope": "all",
        "valid_from": T0 - timedelta(days=1),
        "valid_until": T0 + timedelta(days=1),
        "total_quantity": 100,
        "per_user_limit": 1,
        **fields,
    }


class Coupons:
    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context():
            self.admin_id = make_user(Role.ADMIN).id

    def admin_auth(self) -> dict[str, str]:
        with self.app.app_context():
            return bearer(db.session.get_one(User, self.admin_id))

    def template(self, **fields: Any) -> int:
        """A template made by the service (kinds and scopes as enums or their values)."""
        from groupbuy.coupons.enums import CouponKind, CouponScope

        values = template_fields(**fields)
        values["kind"] = CouponKind(values["kind"])
        values["scope"] = CouponScope(values["scope"])
        with self.app.app_context():
            return create_template(actor_id=self.admin_id, now=T0 - timedelta(days=2), **values).id

    def set_tier(self, user: User, tier: str) -> None:
        """The shopper's membership tier (users.tier, as membership's recompute or a CS grant writes it)."""
        with self.app.app_context(), transaction():
            db.session.execute(update(User).where(User.id == user.id).values(tier=Tier(tier)))

    def give(self, user: User, template_id: int, *, at: Any = None, tier: str = "enterprise_pro") -> int:
        """The shopper, at ``tier`` (a seed member has no monthly allowance), claims one coupon of the template
        through the service; its wallet id."""
        self.set_tier(user, tier)
        with self.app.app_context():
            return claim_coupon(user_id=user.id, template_id=template_id, now=at or clock.now()).id
