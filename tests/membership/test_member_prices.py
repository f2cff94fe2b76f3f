"""Member prices: set by the admin per tier (below the group price, not under the floor), shown on the deal page,
taken at checkout as the best price the shopper's tier allows and kept on the line with which price it was."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.accounts.enums import Role, Tier
from groupbuy.accounts.models import User
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db, transaction
from groupbuy.membership.models import MembershipTier
from groupbuy.orders.models import OrderLine
from tests.catalog.conftest import T0 as CATALOG_T0
from tests.catalog.conftest import deal_body
from tests.factories.accounts import bearer, make_user
from tests.factories.catalog import SkuFactory
from tests.factories.market import T0, Shop, order_body

PRICES = [{"tier": "accelerate", "price_fen": 900}, {"tier": "enterprise", "price_fen": 800}]


def _admin(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user(Role.ADMIN))


def _set(client: FlaskClient, headers: dict[str, str], deal: int, prices: list[dict[str, Any]]) -> Any:
    return client.put(f"/api/v1/admin/deals/{deal}/member-prices", json={"member_prices": prices}, headers=headers)


def _shopper(shop: Shop, tier: Tier) -> User:
    user = shop.shopper()
    with shop.app.app_context(), transaction():
        db.session.execute(update(User).where(User.id == user.id).values(tier=tier))
    return user


def test_admin_sets_member_prices_within_the_floor_audited(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=1000)
    admin = _admin(app)
    with clock.frozen(T0):
        assert _set(client, shop.auth(shop.shopper()), deal, PRICES).status_code == 403
        under_floor = _set(client, admin, deal, [{"tier": "accelerate", "price_fen": 499}])  # > 50 % off
        assert under_floor.status_code == 422 and under_floor.json["code"] == "member_price_invalid"
        not_below = _set(client, admin, deal, [{"tier": "accelerate", "price_fen": 1000}])
        assert not_below.status_code == 422 and not_below.json["code"] == "member_price_invalid"
        twice = _set(client, admin, deal, [{"tier": "seed", "price_fen": 900}, {"tier": "seed", "price_fen": 800}])
        assert twice.status_code == 422
        assert _set(client, admin, 999_999, PRICES).status_code == 404
        at_floor = _set(client, admin, deal, [{"tier": "enterprise_pro", "price_fen": 500}, *PRICES])
        assert at_floor.status_code == 200, at_floor.json
        assert at_floor.json["member_prices"] == [*PRICES, {"tier": "enterprise_pro", "price_fen": 500}]
        page = client.get(f"/api/v1/deals/{deal}").json
    assert page["member_prices"] == [*PRICES, {"tier": "enterprise_pro", "price_fen": 500}]
    assert page["group_price_fen"] == 1000
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "deal.member_prices")).one()
        assert entry.before == {"member_prices": []} and len(entry.after["member_prices"]) == 3  # type: ignore[index]


def test_a_deal_is_created_with_member_prices(shop: Shop, client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        sku_id = SkuFactory(stock=100).id
    admin = _admin(app)
    with clock.frozen(CATALOG_T0):
        body = deal_body(sku_id, group_price_fen=1990, member_prices=[{"tier": "accelerate", "price_fen": 1790}])
        created = client.post("/api/v1/admin/deals", json=body, headers=admin)
        assert created.status_code == 201, created.json
        assert created.json["member_prices"] == [{"tier": "accelerate", "price_fen": 1790}]
        too_low = deal_body(sku_id, group_price_fen=1990, member_prices=[{"tier": "accelerate", "price_fen": 990}])
        assert client.post("/api/v1/admin/deals", json=too_low, headers=admin).status_code == 422


def test_checkout_takes_the_best_price_the_tier_allows_and_snapshots_it(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal(price_fen=1000)
    admin = _admin(app)
    with clock.frozen(T0):
        assert _set(client, admin, deal, PRICES).status_code == 200
    expected = {
        Tier.SEED: (1000, "group", None),  # no member-price benefit, and no seed price anyway
        Tier.ACCELERATE: (900, "member", "accelerate"),
        Tier.ENTERPRISE: (800, "member", "enterprise"),
        Tier.ENTERPRISE_PRO: (800, "member", "enterprise"),  # a lower tier's price serves the tiers above
    }
    orders = {}
    for tier, (price, kind, price_tier) in expected.items():
        buyer = _shopper(shop, tier)
        with clock.frozen(T0):
            placed = client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(buyer))
        assert placed.status_code == 201, placed.json
        line = placed.json["lines"][0]
        assert (line["unit_price_fen"], line["price_kind"], line["price_tier"]) == (price, kind, price_tier), tier
        assert placed.json["items_fen"] == placed.json["payable_fen"] == 2 * price
        orders[tier] = (buyer, placed.json["id"])
    with clock.frozen(T0):  # prices change afterwards: the lines keep what was paid
        assert _set(client, admin, deal, []).status_code == 200
        buyer, order_id = orders[Tier.ENTERPRISE]
        again = client.get(f"/api/v1/orders/{order_id}", headers=shop.auth(buyer)).json
    assert (again["lines"][0]["unit_price_fen"], again["lines"][0]["price_tier"]) == (800, "enterprise")
    with app.app_context():
        kinds = db.session.execute(select(OrderLine.price_kind, OrderLine.price_tier, OrderLine.unit_price_fen)).all()
        assert sorted((k.value, t.value if t else None, p) for k, t, p in kinds) == sorted(
            (kind, price_tier, price) for price, kind, price_tier in expected.values()
        )


def test_a_tier_without_the_benefit_pays_the_group_price(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=1000)
    with clock.frozen(T0):
        assert _set(client, _admin(app), deal, PRICES).status_code == 200
    buyer = _shopper(shop, Tier.ACCELERATE)
    with app.app_context(), transaction():
        db.session.execute(
            update(MembershipTier).where(MembershipTier.code == Tier.ACCELERATE).values(member_price_enabled=False)
        )
    try:
        with clock.frozen(T0):
            placed = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer))
        assert placed.json["lines"][0]["unit_price_fen"] == 1000 and placed.json["lines"][0]["price_kind"] == "group"
    finally:
        with app.app_context(), transaction():
            db.session.execute(
                update(MembershipTier).where(MembershipTier.code == Tier.ACCELERATE).values(member_price_enabled=True)
            )
