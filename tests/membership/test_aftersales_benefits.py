"""Order protection and priority service come from the shopper's membership tier: a quality problem may be raised
60 days after receipt in a tier with protection (7 days without; fresh produce keeps 48 h in every tier); a
priority tier's disputes sort first in CS's queue with the shorter answer time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.accounts.enums import Role, Tier
from groupbuy.accounts.models import User
from groupbuy.aftersales.models import Dispute
from groupbuy.aftersales.service import add_working_hours, dispute_terms, order_protection_days_for
from groupbuy.catalog.models import Category, Deal, Product, Sku
from groupbuy.db import db, transaction
from tests.aftersales.conftest import PICKED_UP_AT, SOON, ask, line_ids, read, received_order
from tests.factories.market import Shop
from tests.flows.conftest import staff_headers
from tests.jobs.conftest import run


def _shopper(shop: Shop, tier: Tier) -> User:
    user = shop.shopper()
    with shop.app.app_context(), transaction():
        db.session.execute(update(User).where(User.id == user.id).values(tier=tier))
    return user


def _fresh(app: Flask, deal_id: int) -> None:
    with app.app_context(), transaction():
        category_id = db.session.scalar(
            select(Product.category_id)
            .join(Sku, Sku.product_id == Product.id)
            .join(Deal, Deal.sku_id == Sku.id)
            .where(Deal.id == deal_id)
        )
        db.session.execute(update(Category).where(Category.id == category_id).values(is_fresh=True))


def _ask_quality(shop: Shop, client: FlaskClient, user: User, deal: int, after: timedelta) -> Any:
    order_id = received_order(shop.app, user, {deal: 1})
    (line,) = line_ids(shop.app, order_id)
    at = PICKED_UP_AT + after
    with clock.frozen(at):
        headers = shop.key(user)
    return ask(client, headers, order_id, [{"order_item_id": line}], 100, reason="quality", at=at)


@pytest.mark.parametrize(
    ("tier", "after", "status"),
    [
        (Tier.ENTERPRISE, timedelta(days=59, hours=23), 201),  # 60 days of order protection
        (Tier.ENTERPRISE_PRO, timedelta(days=60, minutes=1), 409),
        (Tier.ACCELERATE, timedelta(days=8), 409),  # no protection: the standard 7 days
        (Tier.SEED, timedelta(days=6), 201),
    ],
)
def test_quality_window_by_tier(shop: Shop, client: FlaskClient, tier: Tier, after: timedelta, status: int) -> None:
    answer = _ask_quality(shop, client, _shopper(shop, tier), shop.deal(), after)
    assert answer.status_code == status, answer.json


def test_fresh_produce_keeps_48_hours_with_protection(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    _fresh(app, deal)
    user = _shopper(shop, Tier.ENTERPRISE_PRO)
    answer = _ask_quality(shop, client, user, deal, timedelta(hours=48, minutes=1))
    assert answer.status_code == 409 and answer.json["code"] == "after_sale_window_closed"
    with app.app_context():
        assert order_protection_days_for(user_id=user.id, now=PICKED_UP_AT) == 60


def test_priority_disputes_sort_first_with_the_shorter_sla(shop: Shop, client: FlaskClient, app: Flask) -> None:
    cs = staff_headers(app, Role.CS)
    opened = []
    for tier in (Tier.ENTERPRISE, Tier.ENTERPRISE_PRO):  # the standard one asks first
        user = _shopper(shop, tier)
        order_id = received_order(app, user, {shop.deal(price_fen=1000): 1})
        (line,) = line_ids(app, order_id)
        answer = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 400)
        assert answer.status_code == 201, answer.json
        opened.append((user.id, answer.json["id"]))
    run(app, "escalate_unanswered_after_sales", SOON + timedelta(hours=48))
    queue = read(client, cs, "/cs/disputes", at=SOON + timedelta(hours=49)).json["items"]
    assert [d["request_id"] for d in queue] == [opened[1][1], opened[0][1]]  # priority first
    assert [d["priority"] for d in queue] == [True, False]
    with app.app_context():
        standard, priority = (dispute_terms(user_id=u, now=SOON) for u, _ in opened)
        assert (standard.priority, standard.sla_working_hours) == (False, 48)
        assert (priority.priority, priority.sla_working_hours) == (True, 24)
        disputes = {d.request_id: d for d in db.session.scalars(select(Dispute))}
        escalated = SOON + timedelta(hours=48)
        assert disputes[opened[1][1]].sla_due_at == add_working_hours(escalated, 24)
        assert disputes[opened[0][1]].sla_due_at == add_working_hours(escalated, 48)
