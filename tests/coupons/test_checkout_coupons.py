"""A coupon at checkout: each refusal with its own code, the discount spread over the lines, and the coupon's
life with its order (locked, used on payment, back on expiry or an unpaid cancellation, kept after refunds)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.cart.models import CartItem
from groupbuy.catalog.models import Deal, Product, Sku, UserDealPurchase
from groupbuy.coupons.enums import UserCouponStatus
from groupbuy.coupons.models import UserCoupon
from groupbuy.db import db
from groupbuy.groups.models import Group
from groupbuy.orders import jobs
from groupbuy.orders.enums import OrderStatus, RefundReason
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.orders.service import mark_order_paid, refund_lines
from tests.factories.coupons import Coupons
from tests.factories.market import T0, Shop, order_body
from tests.rows import unchanged

CHECKOUT = (Order, OrderLine, Deal, Group, UserDealPurchase, CartItem, UserCoupon)


def _status(app: Flask, coupon: int) -> tuple[UserCouponStatus, int | None]:
    with app.app_context():
        row = db.session.get_one(UserCoupon, coupon)
        return row.status, row.order_id


def _order(client: FlaskClient, shop: Shop, buyer: object, body: dict) -> object:  # type: ignore[type-arg]
    return client.post("/api/v1/orders", json=body, headers=shop.key(buyer))  # type: ignore[arg-type]


def test_the_discount_is_spread_over_the_lines_to_the_fen(coupons: Coupons, shop: Shop, client: FlaskClient) -> None:
    cheap, dear = shop.deal(price_fen=333), shop.deal(price_fen=1001)
    buyer = shop.shopper()
    coupon = coupons.give(
        buyer,
        coupons.template(kind="percent_off", amount_off_fen=None, percent_off=15, max_discount_fen=10_000),
        at=T0,
    )
    body = {
        "items": [{"deal_id": cheap, "quantity": 3}, {"deal_id": dear, "quantity": 2}],
        "fulfilment": "pickup",
        "coupon_id": coupon,
    }
    with clock.frozen(T0):
        placed = client.post("/api/v1/orders", json=body, headers=shop.key(buyer))
    assert placed.status_code == 201, placed.json
    order = placed.json
    items = 999 + 2002
    assert order["discount_fen"] == items * 15 // 100 == 450
    assert order["payable_fen"] == items - 450 and order["coupon_id"] == coupon
    shares = {line["deal_id"]: line["discount_fen"] for line in order["lines"]}
    assert sum(shares.values()) == 450
    assert shares == {cheap: 150, dear: 300}  # 149.8 and 300.2: the larger remainder takes the fen
    assert "优惠券" in order["timeline"][0]["note"]


def test_a_cap_and_an_amount_never_exceed_the_goods(coupons: Coupons, shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal(price_fen=200)
    buyer = shop.shopper()
    capped = coupons.give(
        buyer,
        coupons.template(
            kind="percent_off", amount_off_fen=None, percent_off=50, max_discount_fen=150, min_spend_fen=0
        ),
        at=T0,
    )
    with clock.frozen(T0):
        order = client.post(
            "/api/v1/orders", json={**order_body(deal, 5), "coupon_id": capped}, headers=shop.key(buyer)
        ).json
    assert (order["discount_fen"], order["payable_fen"]) == (150, 850)


def test_the_coupon_is_used_on_payment_and_kept_after_refunds(
    coupons: Coupons, shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal(price_fen=1000)
    buyer = shop.shopper()
    coupon = coupons.give(buyer, coupons.template(amount_off_fen=301), at=T0)
    with clock.frozen(T0):
        order = client.post(
            "/api/v1/orders", json={**order_body(deal, 3), "coupon_id": coupon}, headers=shop.key(buyer)
        ).json
        assert _status(app, coupon) == (UserCouponStatus.LOCKED, order["id"])
        wallet = client.get("/api/v1/me/coupons", headers=shop.auth(buyer)).json["items"]
        assert [(c["id"], c["status"], c["order_id"]) for c in wallet] == [(coupon, "locked", order["id"])]
    with app.app_context(), clock.frozen(T0):
        mark_order_paid(order_id=order["id"], amount_fen=2699, actor="provider", now=T0)
        assert _status(app, coupon) == (UserCouponStatus.USED, order["id"])
        line_id = order["lines"][0]["id"]
        first = refund_lines(
            order_id=order["id"], lines=[(line_id, 1)], reason=RefundReason.SHORTAGE, actor="leader", now=T0
        )
        assert first.amount_fen == 1000 - 301 // 3  # the unit's value less its share of the line's discount
        rest = refund_lines(
            order_id=order["id"], lines=[(line_id, 2)], reason=RefundReason.SHORTAGE, actor="leader", now=T0
        )
        assert first.amount_fen + rest.amount_fen == 2699  # every unit together: exactly what was paid
        db.session.expire_all()
        paid = db.session.get_one(Order, order["id"])
        assert paid.status is OrderStatus.REFUNDING and paid.payable_fen + paid.refund_due_fen == paid.paid_fen
    assert _status(app, coupon) == (UserCouponStatus.USED, order["id"])  # never given back after a refund


def test_expiry_gives_the_coupon_back(coupons: Coupons, shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    coupon = coupons.give(buyer, coupons.template(), at=T0)
    with clock.frozen(T0):
        order = client.post(
            "/api/v1/orders", json={**order_body(deal, 2), "coupon_id": coupon}, headers=shop.key(buyer)
        ).json
    with app.app_context():
        assert jobs.expire_unpaid_orders(T0 + timedelta(minutes=16)) == {"orders_expired": 1}
        assert db.session.get_one(Order, order["id"]).status is OrderStatus.CANCELLED
        notes = db.session.scalars(
            select(OrderTimelineEvent.note).where(OrderTimelineEvent.order_id == order["id"])
        ).all()
        assert "优惠券已退回" in (notes[-1] or "")
    assert _status(app, coupon) == (UserCouponStatus.AVAILABLE, None)
    with clock.frozen(T0 + timedelta(minutes=20)):  # and it can be used again
        again = client.post(
            "/api/v1/orders", json={**order_body(deal, 2), "coupon_id": coupon}, headers=shop.key(buyer)
        )
    assert again.status_code == 201 and again.json["discount_fen"] == 300


def test_an_unpaid_cancellation_gives_the_coupon_back(
    coupons: Coupons, shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    coupon = coupons.give(buyer, coupons.template(), at=T0)
    with clock.frozen(T0):
        order = client.post(
            "/api/v1/orders", json={**order_body(deal, 2), "coupon_id": coupon}, headers=shop.key(buyer)
        ).json
        cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=shop.key(buyer))
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert _status(app, coupon) == (UserCouponStatus.AVAILABLE, None)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("coupon_not_found", 404),
        ("coupon_unavailable", 409),
        ("coupon_not_started", 409),
        ("coupon_expired", 409),
        ("coupon_tier_not_allowed", 409),
        ("coupon_new_leader_only", 409),
        ("coupon_out_of_scope", 409),
        ("coupon_min_spend_not_met", 409),
    ],
)
def test_each_refusal_has_its_code_and_changes_nothing(
    coupons: Coupons,
    shop: Shop,
    client: FlaskClient,
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    status: int,
) -> None:
    deal, other = shop.deal(price_fen=990), shop.deal(price_fen=990)
    buyer = shop.shopper()
    at = T0
    if code == "coupon_not_found":
        coupon = coupons.give(shop.shopper(), coupons.template(), at=T0)  # someone else's
    elif code == "coupon_unavailable":
        coupon = coupons.give(buyer, coupons.template(), at=T0)
        with clock.frozen(T0):
            assert _order(client, shop, buyer, {**order_body(other, 2), "coupon_id": coupon}).status_code == 201
    elif code == "coupon_not_started":
        coupon = coupons.give(buyer, coupons.template(valid_from=T0 + timedelta(hours=1)), at=T0)
    elif code == "coupon_expired":
        coupon = coupons.give(buyer, coupons.template(valid_until=T0 + timedelta(hours=1)), at=T0)
        at = T0 + timedelta(hours=2)
    elif code == "coupon_tier_not_allowed":
        coupon = coupons.give(buyer, coupons.template(tiers_allowed=["enterprise"]), at=T0, tier="enterprise")
        coupons.set_tier(buyer, "accelerate")  # the shopper's tier fell since
    elif code == "coupon_new_leader_only":
        coupon = coupons.give(buyer, coupons.template(scope="new_leader"), at=T0)
        with clock.frozen(T0):
            assert _order(client, shop, buyer, order_body(other, 1)).status_code == 201  # not a first order
    elif code == "coupon_out_of_scope":
        coupon = coupons.give(buyer, coupons.template(scope="deal", deal_id=other), at=T0)
    else:
        coupon = coupons.give(buyer, coupons.template(min_spend_fen=2000), at=T0)
    with clock.frozen(at), unchanged(app, *CHECKOUT):
        response = client.post(
            "/api/v1/orders", json={**order_body(deal, 2), "coupon_id": coupon}, headers=shop.key(buyer)
        )
    assert (response.status_code, response.json["code"]) == (status, code), response.json
    with clock.frozen(at):
        english = client.post(
            "/api/v1/orders",
            json={**order_body(deal, 2), "coupon_id": coupon},
            headers={**shop.key(buyer), "Accept-Language": "en"},
        )
    assert english.json["code"] == code and english.json["title"] != response.json["title"]


def test_new_leader_and_category_coupons_apply_where_they_should(
    coupons: Coupons, shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal, other = shop.deal(price_fen=1200), shop.deal(price_fen=800)
    with app.app_context():
        category = db.session.scalar(
            select(Product.category_id)
            .join(Sku, Sku.product_id == Product.id)
            .join(Deal, Deal.sku_id == Sku.id)
            .where(Deal.id == deal)
        )
    buyer = shop.shopper()
    newcomer = coupons.give(buyer, coupons.template(scope="new_leader", amount_off_fen=500), at=T0)
    fruit = coupons.give(buyer, coupons.template(scope="category", category_id=category, amount_off_fen=100), at=T0)
    body = {"items": [{"deal_id": deal, "quantity": 1}, {"deal_id": other, "quantity": 1}], "fulfilment": "pickup"}
    with clock.frozen(T0):
        first = client.post("/api/v1/orders", json={**body, "coupon_id": newcomer}, headers=shop.key(buyer)).json
        second = client.post("/api/v1/orders", json={**body, "coupon_id": fruit}, headers=shop.key(buyer)).json
    assert first["discount_fen"] == 500 and [x["discount_fen"] for x in first["lines"]] == [300, 200]
    assert {x["deal_id"]: x["discount_fen"] for x in second["lines"]} == {deal: 100, other: 0}  # its category only


def test_the_cart_shows_the_best_coupon_and_the_payable(coupons: Coupons, shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal(price_fen=1000)
    buyer = shop.shopper()
    with clock.frozen(T0):
        client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 3}, headers=shop.auth(buyer))
        bare = client.get("/api/v1/cart", headers=shop.auth(buyer)).json
    assert (bare["best_coupon"], bare["discount_fen"], bare["payable_fen"]) == (None, 0, 3000)
    coupons.give(buyer, coupons.template(amount_off_fen=300), at=T0)
    best = coupons.give(
        buyer,
        coupons.template(kind="percent_off", amount_off_fen=None, percent_off=20, max_discount_fen=500),
        at=T0,
    )
    coupons.give(buyer, coupons.template(amount_off_fen=2000, min_spend_fen=5000), at=T0)  # not reached
    with clock.frozen(T0):
        cart = client.get("/api/v1/cart", headers=shop.auth(buyer)).json
        assert cart["best_coupon"]["coupon_id"] == best
        assert (cart["discount_fen"], cart["payable_fen"], cart["total_fen"]) == (500, 2500, 3000)
        order = client.post(
            "/api/v1/orders",
            json={"from_cart": True, "fulfilment": "pickup", "coupon_id": best},
            headers=shop.key(buyer),
        ).json
    assert order["payable_fen"] == cart["payable_fen"]
