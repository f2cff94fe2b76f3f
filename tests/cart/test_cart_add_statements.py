"""A cart add is two statements standing alone, the token check and one upsert that also checks the deal: no
transaction around them, so on PostgreSQL no BEGIN or COMMIT round trips (the flash sale's hot path)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from tests.factories.market import T0, Shop
from tests.rows import statements_sent


def test_a_cart_add_is_the_token_check_and_one_upsert(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    headers = shop.auth(shop.shopper())
    with clock.frozen(T0), statements_sent(app) as sent:
        added = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 2}, headers=headers)
    assert added.status_code == 201, added.json
    assert [statement.split()[0] for statement in sent] == ["SELECT", "INSERT"], sent
    assert "auth_tokens" in sent[0] and "EXISTS" in sent[1]


def test_a_refused_cart_add_says_why(shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal()
    headers = shop.auth(shop.shopper())
    with clock.frozen(T0):
        missing = client.post("/api/v1/cart/items", json={"deal_id": 999_999, "quantity": 1}, headers=headers)
        assert missing.status_code == 404
        assert (
            client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 60}, headers=headers).status_code
            == 201
        )
        over = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 40}, headers=headers)
        assert over.status_code == 422 and over.json["code"] == "cart_quantity_exceeded"
        cart = client.get("/api/v1/cart", headers=headers).json
    assert [line["quantity"] for line in cart["lines"]] == [60]
