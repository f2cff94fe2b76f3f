"""After-sale windows after receipt: fresh produce 48 h whatever the reason, other goods 7 days, quality problems
60 days of order protection for a membership tier that has it (its seam answers None when the setting is 0).
tests/membership/test_aftersales_benefits.py holds the tiers without it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.accounts.enums import Tier
from groupbuy.accounts.models import User
from groupbuy.aftersales.service import order_protection_days_for
from groupbuy.catalog.models import Category, Deal, Product, Sku
from groupbuy.db import db, transaction
from tests.aftersales.conftest import PICKED_UP_AT, ask, line_ids, received_order
from tests.conftest import tune
from tests.factories.market import Shop


def _make_fresh(app: Flask, deal_id: int) -> None:
    with app.app_context(), transaction():
        category_id = db.session.scalar(
            select(Product.category_id)
            .join(Sku, Sku.product_id == Product.id)
            .join(Deal, Deal.sku_id == Sku.id)
            .where(Deal.id == deal_id)
        )
        db.session.execute(update(Category).where(Category.id == category_id).values(is_fresh=True))


def _ask_at(shop: Shop, client: FlaskClient, user: Any, order_id: int, line: int, at: datetime, reason: str) -> Any:
    with clock.frozen(at):
        headers = shop.key(user)  # a token of that day
    return ask(client, headers, order_id, [{"order_item_id": line}], 100, reason=reason, at=at)


@pytest.mark.parametrize(
    ("fresh", "reason", "after", "status"),
    [
        (True, "quality", timedelta(hours=47, minutes=59), 201),
        (True, "quality", timedelta(hours=48, minutes=1), 409),  # fresh keeps its short window, even for quality
        (False, "missing", timedelta(days=6, hours=23), 201),
        (False, "missing", timedelta(days=7, minutes=1), 409),  # the standard window
        (False, "quality", timedelta(days=59), 201),  # order protection
        (False, "quality", timedelta(days=60, minutes=1), 409),
    ],
)
def test_windows(
    shop: Shop, app: Flask, client: FlaskClient, fresh: bool, reason: str, after: timedelta, status: int
) -> None:
    deal = shop.deal()
    if fresh:
        _make_fresh(app, deal)
    user = shop.shopper()
    with app.app_context(), transaction():  # a tier with order protection (60 days)
        db.session.execute(update(User).where(User.id == user.id).values(tier=Tier.ENTERPRISE))
    order_id = received_order(app, user, {deal: 1})
    (line,) = line_ids(app, order_id)
    answer = _ask_at(shop, client, user, order_id, line, PICKED_UP_AT + after, reason)
    assert answer.status_code == status, answer.json
    if status == 409:
        assert answer.json["code"] == "after_sale_window_closed"


def test_without_order_protection_quality_has_the_standard_window(shop: Shop, app: Flask, client: FlaskClient) -> None:
    tune(app, order_protection_days=0)
    with app.app_context():
        assert order_protection_days_for(user_id=1, now=PICKED_UP_AT) is None
    deal = shop.deal()
    user = shop.shopper()
    order_id = received_order(app, user, {deal: 1})
    (line,) = line_ids(app, order_id)
    late = _ask_at(shop, client, user, order_id, line, PICKED_UP_AT + timedelta(days=8), "quality")
    assert late.status_code == 409 and late.json["code"] == "after_sale_window_closed"
