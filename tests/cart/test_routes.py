"""Cart: merge on re-add, 1–99, live problems per line without failing the cart, ownership."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.cart.models import CartItem
from tests.factories.market import T0, Shop, order_body
from tests.rows import count_rows, unchanged


def test_adding_twice_merges_the_line(shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal(price_fen=300)
    headers = shop.auth(shop.shopper())
    with clock.frozen(T0):
        first = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 2}, headers=headers)
        again = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 3}, headers=headers)
        cart = client.get("/api/v1/cart", headers=headers).json
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert [(line["quantity"], line["line_total_fen"], line["problems"]) for line in cart["lines"]] == [(5, 1500, [])]
    assert cart["total_fen"] == 1500


def test_quantity_bounds(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    headers = shop.auth(shop.shopper())
    with clock.frozen(T0):
        with unchanged(app, CartItem):
            for quantity in (0, 100, 2.5, "3"):
                response = client.post(
                    "/api/v1/cart/items", json={"deal_id": deal, "quantity": quantity}, headers=headers
                )
                assert response.status_code == 422, quantity
        client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 60}, headers=headers)
        with unchanged(app, CartItem):
            over = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 40}, headers=headers)
    assert over.status_code == 422 and over.json["code"] == "cart_quantity_exceeded"
    assert count_rows(app, CartItem, CartItem.deal_id == deal, CartItem.quantity == 60) == 1


def test_problems_mark_lines_without_failing_the_cart(shop: Shop, client: FlaskClient) -> None:
    fine, scarce, limited, closing = shop.deal(), shop.deal(stock=1), shop.deal(limit_per_user=1), shop.deal()
    buyer = shop.shopper()
    headers = shop.auth(buyer)
    with clock.frozen(T0):
        for deal in (fine, scarce, limited, closing):
            client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 2}, headers=headers)
    shop.set_deal(closing, cutoff_at=T0)
    with clock.frozen(T0):
        cart = client.get("/api/v1/cart", headers=headers)
    assert cart.status_code == 200
    problems = {line["deal_id"]: line["problems"] for line in cart.json["lines"]}
    assert problems == {fine: [], scarce: ["sold_out"], limited: ["over_limit"], closing: ["deal_closed"]}
    assert cart.json["total_fen"] == 2 * 990


def test_over_limit_counts_what_i_already_bought(shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal(limit_per_user=3)
    buyer = shop.shopper()
    with clock.frozen(T0):
        client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(buyer))
        client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 2}, headers=shop.auth(buyer))
        line = client.get("/api/v1/cart", headers=shop.auth(buyer)).json["lines"][0]
    assert line["problems"] == ["over_limit"]


def test_edit_and_delete_only_my_lines(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    mine, other = shop.auth(shop.shopper()), shop.auth(shop.shopper())
    with clock.frozen(T0):
        item = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 1}, headers=mine).json["id"]
        assert client.patch(f"/api/v1/cart/items/{item}", json={"quantity": 4}, headers=other).status_code == 404
        assert client.delete(f"/api/v1/cart/items/{item}", headers=other).status_code == 404
        assert client.patch(f"/api/v1/cart/items/{item}", json={"quantity": 4}, headers=mine).json["quantity"] == 4
        assert client.delete(f"/api/v1/cart/items/{item}", headers=mine).status_code == 204
        assert client.get("/api/v1/cart", headers=mine).json["lines"] == []


def test_unknown_deal_is_404(shop: Shop, client: FlaskClient, app: Flask) -> None:
    headers = shop.auth(shop.shopper())
    response = client.post("/api/v1/cart/items", json={"deal_id": 999999, "quantity": 1}, headers=headers)
    assert response.status_code == 404
    assert count_rows(app, CartItem) == 0
