"""Checkout over HTTP: totals, snapshots, reservations, refusals that leave nothing behind, idempotency."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.db import db
from groupbuy.groups.models import Group
from groupbuy.idempotency.models import IdempotencyKey
from groupbuy.orders.enums import OrderEvent
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.orders.service import checkout, checkout_write
from tests.conftest import tune
from tests.factories.market import T0, Shop, order_body
from tests.rows import CHECKOUT, kept_answer, unchanged


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_place_order_reserves_everything_and_snapshots_prices(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=1990, stock=10)
    buyer = shop.shopper()
    with clock.frozen(T0):
        response = client.post("/api/v1/orders", json=order_body(deal, 3), headers=shop.key(buyer))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "pending_payment"
    assert (body["items_fen"], body["delivery_fee_fen"], body["discount_fen"], body["payable_fen"]) == (
        5970,
        0,
        0,
        5970,
    )
    assert body["pay_before"] == (T0 + timedelta(minutes=15)).isoformat()
    assert body["lines"][0]["unit_price_fen"] == 1990 and body["lines"][0]["quantity"] == 3
    assert body["lines"][0]["product_name"] and body["lines"][0]["spec"]
    assert [e["to_status"] for e in body["timeline"]] == ["pending_payment"]
    assert re.fullmatch(r"GB\d{8}\d{10}", body["order_no"])
    assert body["pickup_code"] is None
    with app.app_context():
        assert db.session.get(Deal, deal).stock_available == 7
        group = db.session.scalar(select(Group))
        assert (group.units_reserved, group.units_paid, group.leader_id) == (3, 0, shop.leader_id)
        assert db.session.get(UserDealPurchase, (buyer.id, deal)).quantity == 3


def test_price_change_after_ordering_does_not_touch_the_snapshot(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=1000)
    buyer = shop.shopper()
    with clock.frozen(T0):
        order_id = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer)).json["id"]
    shop.set_deal(deal, group_price_fen=5000)
    with clock.frozen(T0):
        body = client.get(f"/api/v1/orders/{order_id}", headers=shop.auth(buyer)).json
    assert body["lines"][0]["unit_price_fen"] == 1000 and body["payable_fen"] == 1000


def test_from_cart_orders_every_line_and_empties_the_cart(shop: Shop, client: FlaskClient) -> None:
    a, b = shop.deal(price_fen=100), shop.deal(price_fen=250)
    buyer = shop.shopper()
    headers = shop.auth(buyer)
    with clock.frozen(T0):
        client.post("/api/v1/cart/items", json={"deal_id": a, "quantity": 2}, headers=headers)
        client.post("/api/v1/cart/items", json={"deal_id": b, "quantity": 1}, headers=headers)
        response = client.post(
            "/api/v1/orders", json={"from_cart": True, "fulfilment": "pickup"}, headers=shop.key(buyer)
        )
        assert response.status_code == 201, response.json
        assert response.json["payable_fen"] == 450
        assert {line["deal_id"] for line in response.json["lines"]} == {a, b}
        assert client.get("/api/v1/cart", headers=headers).json["lines"] == []


def test_sold_out_is_409_and_leaves_nothing_behind(shop: Shop, client: FlaskClient, app: Flask) -> None:
    plenty, scarce = shop.deal(stock=50), shop.deal(stock=1)
    buyer = shop.shopper()
    body = {"items": [{"deal_id": plenty, "quantity": 2}, {"deal_id": scarce, "quantity": 2}], "fulfilment": "pickup"}
    with clock.frozen(T0):
        response = client.post("/api/v1/orders", json=body, headers=shop.key(buyer))
    assert response.status_code == 409
    assert response.json["code"] == "deal_sold_out"
    with app.app_context():
        assert db.session.get(Deal, plenty).stock_available == 50
        assert db.session.get(Deal, scarce).stock_available == 1
        assert _count(Order) == 0 and _count(OrderLine) == 0
        assert db.session.scalar(select(func.coalesce(func.sum(UserDealPurchase.quantity), 0))) == 0


@pytest.mark.parametrize("lines", [1, 2])
def test_stock_taken_between_the_read_and_the_write_is_409_and_leaves_nothing(
    shop: Shop, client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch, lines: int
) -> None:
    """The read said there was stock, the conditional UPDATE finds too little (a neighbour was faster): on
    PostgreSQL a one-line order meets this inside its single statement, a longer one in its own UPDATE."""
    deals = [shop.deal(stock=1) for _ in range(lines)]
    buyer = shop.shopper()
    read = checkout.deals_for_sale_of

    def stale(rows: object, *, now: object) -> dict[int, object]:  # as read a moment before the neighbour's order
        return {i: dataclasses.replace(d, stock_available=5) for i, d in read(rows, now=now).items()}  # type: ignore[arg-type]

    monkeypatch.setattr(checkout, "deals_for_sale_of", stale)
    body = {"items": [{"deal_id": deal, "quantity": 2} for deal in deals], "fulfilment": "pickup"}
    with clock.frozen(T0), unchanged(app, *CHECKOUT):
        response = client.post("/api/v1/orders", json=body, headers=shop.key(buyer))
    assert response.status_code == 409 and response.json["code"] == "deal_sold_out"


def test_an_order_changes_its_deal_only_in_the_stock_left(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(stock=10)

    def row() -> dict[str, object]:
        with app.app_context():
            return dict(db.session.execute(select(Deal.__table__).where(Deal.id == deal)).one()._mapping)

    before = row()
    with clock.frozen(T0):
        response = client.post("/api/v1/orders", json=order_body(deal, 3), headers=shop.key(shop.shopper()))
    assert response.status_code == 201, response.json
    assert row() == {**before, "stock_available": 7}


def test_limit_per_user_counts_across_orders(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(limit_per_user=3)
    buyer = shop.shopper()
    with clock.frozen(T0):
        assert client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(buyer)).status_code == 201
        with unchanged(app, *CHECKOUT):
            second = client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(buyer))
        assert second.status_code == 409 and second.json["code"] == "limit_exceeded"
        assert client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer)).status_code == 201


def test_deal_not_on_sale_is_409_deal_closed(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    with unchanged(app, *CHECKOUT):
        with clock.frozen(shop.cutoff):
            response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer))
        assert response.status_code == 409 and response.json["code"] == "deal_closed"
        with clock.frozen(shop.starts - timedelta(seconds=1)):
            response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer))
        assert response.status_code == 409 and response.json["code"] == "deal_closed"


def test_closed_group_is_409_group_closed(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    first, second = shop.shopper(), shop.shopper()
    with clock.frozen(T0):
        client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(first))
        shop.close_groups()
        with unchanged(app, *CHECKOUT):  # the limit counted and the order written before it are rolled back
            response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(second))
    assert response.status_code == 409 and response.json["code"] == "group_closed"
    with app.app_context():
        assert db.session.get(Deal, deal).stock_available == shop.default_stock - 1


def test_delivery_needs_a_leader_who_delivers_and_my_address(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=1000)
    buyer = shop.shopper()
    address = shop.address(buyer)
    body = {**order_body(deal, 1), "fulfilment": "delivery", "address_id": address}
    with clock.frozen(T0):
        with unchanged(app, *CHECKOUT):
            refused = client.post("/api/v1/orders", json=body, headers=shop.key(buyer))
        assert refused.status_code == 409 and refused.json["code"] == "delivery_unavailable"
        shop.offer_delivery(fee_fen=300)
        other = shop.shopper()
        with unchanged(app, *CHECKOUT):
            not_mine = client.post("/api/v1/orders", json=body, headers=shop.key(other))
        assert not_mine.status_code == 404
        response = client.post("/api/v1/orders", json=body, headers=shop.key(buyer))
    assert response.status_code == 201, response.json
    assert (response.json["delivery_fee_fen"], response.json["payable_fen"]) == (300, 1300)
    assert response.json["address"]["phone"] == "139****5678"


def test_payable_over_the_configured_limit_is_refused(shop: Shop, client: FlaskClient, app: Flask) -> None:
    tune(app, max_order_payable_fen=5000)
    deal = shop.deal(price_fen=2000)
    buyer = shop.shopper()
    with clock.frozen(T0):
        response = client.post("/api/v1/orders", json=order_body(deal, 3), headers=shop.key(buyer))
    assert response.status_code == 409 and response.json["code"] == "payable_over_limit"
    with app.app_context():
        assert _count(Order) == 0


def test_a_leader_is_needed(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    buyer = shop.shopper(with_leader=False)
    with clock.frozen(T0), unchanged(app, *CHECKOUT):
        response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer))
    assert response.status_code == 422 and response.json["code"] == "leader_required"


def test_bad_input_is_422(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    bad_bodies = [
        {**order_body(deal, 1), "status": "paid"},
        {**order_body(deal, 1), "payable_fen": 1},
        order_body(deal, 0),
        order_body(deal, 100),
        {"items": [{"deal_id": deal, "quantity": 1.5}], "fulfilment": "pickup"},
        {"items": [{"deal_id": deal, "quantity": 1}], "fulfilment": "drone"},
        {"fulfilment": "pickup"},
        {**order_body(deal, 1), "from_cart": True},
    ]
    with clock.frozen(T0), unchanged(app, *CHECKOUT, IdempotencyKey):  # refused before the work: no key kept
        for body in bad_bodies:
            response = client.post("/api/v1/orders", json=body, headers=shop.key(buyer))
            assert response.status_code == 422, (body, response.json)


def test_idempotency_key_is_required_and_replays(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    with clock.frozen(T0):
        missing = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.auth(buyer))
        assert missing.status_code == 422 and "Idempotency-Key" in missing.json["errors"]
        headers = shop.key(buyer, "same-key")
        first = client.post("/api/v1/orders", json=order_body(deal, 1), headers=headers)
        again = client.post("/api/v1/orders", json=order_body(deal, 1), headers=headers)
        changed = client.post("/api/v1/orders", json=order_body(deal, 2), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.json == first.json
    assert changed.status_code == 422 and changed.json["code"] == "idempotency_key_reused"
    with app.app_context():
        assert _count(Order) == 1
        assert db.session.get(Deal, deal).stock_available == shop.default_stock - 1


def test_keys_are_per_user(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    a, b = shop.shopper(), shop.shopper()
    with clock.frozen(T0):
        assert client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(a, "k")).status_code == 201
        assert client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(b, "k")).status_code == 201
    with app.app_context():
        assert _count(Order) == 2


def test_a_refusal_is_replayed_too(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(stock=1)
    buyer = shop.shopper()
    headers = shop.key(buyer, "k-sold-out")
    with clock.frozen(T0), unchanged(app, *CHECKOUT):
        first = client.post("/api/v1/orders", json=order_body(deal, 2), headers=headers)
        again = client.post("/api/v1/orders", json=order_body(deal, 2), headers=headers)
    assert first.status_code == again.status_code == 409
    assert again.json["code"] == "deal_sold_out" and again.headers["Idempotent-Replayed"] == "true"
    assert kept_answer(app, "k-sold-out") == (409, first.json)


def test_a_retry_replays_the_first_refusal_even_when_it_would_succeed_now(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal(stock=1)
    buyer = shop.shopper()
    headers = shop.key(buyer, "k-then-restocked")
    with clock.frozen(T0):
        first = client.post("/api/v1/orders", json=order_body(deal, 2), headers=headers)
        shop.set_deal(deal, stock_allocated=5, stock_available=5)  # enough now
        again = client.post("/api/v1/orders", json=order_body(deal, 2), headers=headers)
    assert first.status_code == again.status_code == 409
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    with app.app_context():  # the re-run's reservations were rolled back with it
        assert _count(Order) == 0 and _count(UserDealPurchase) == 0
        assert db.session.get_one(Deal, deal).stock_available == 5


def test_the_answer_commits_with_the_order_and_a_crash_leaves_neither(
    shop: Shop, client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = shop.deal(stock=10)
    buyer = shop.shopper()
    headers = shop.key(buyer, "k-crash")

    def crash(**_: object) -> int:
        raise RuntimeError("worker died after writing the order, its line and the stock")

    # PostgreSQL's one-line order builds its answer before its one statement (to keep it there), every other path
    # after its last write: a crash at either point leaves nothing
    monkeypatch.setattr(checkout, "PlacedOrder", crash)
    with clock.frozen(T0):
        crashed = client.post("/api/v1/orders", json=order_body(deal, 1), headers=headers)
    assert crashed.status_code == 500
    with app.app_context():
        assert _count(Order) == 0 and _count(IdempotencyKey) == 0
        assert db.session.get_one(Deal, deal).stock_available == 10
    monkeypatch.undo()
    with clock.frozen(T0):
        retried = client.post("/api/v1/orders", json=order_body(deal, 1), headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    with app.app_context():
        kept = db.session.scalars(select(IdempotencyKey)).one()
        assert (kept.response_status, kept.response_body["id"]) == (201, retried.json["id"])
        assert db.session.get_one(Deal, deal).stock_available == 9


def test_order_numbers_are_not_a_sequence(shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    with clock.frozen(T0):
        numbers = [
            client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer)).json["order_no"]
            for _ in range(3)
        ]
    tails = [int(n[10:]) for n in numbers]
    assert len(set(numbers)) == 3
    assert sorted(tails) != list(range(min(tails), min(tails) + 3))


def test_a_taken_order_number_is_drawn_again_and_its_timeline_row_is_written_once(
    shop: Shop, client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order and its `place` row go in one statement on PostgreSQL: a clash on the number must write neither."""
    deal = shop.deal()
    first, second = shop.shopper(), shop.shopper()
    with clock.frozen(T0):
        taken = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(first)).json["order_no"]
        draws = iter([taken, taken, "GB" + "7" * 18])
        monkeypatch.setattr(checkout_write, "new_order_no", lambda now: next(draws))
        response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(second))
    assert response.status_code == 201, response.json
    assert response.json["order_no"] == "GB" + "7" * 18
    with app.app_context():
        events = db.session.execute(select(OrderTimelineEvent.order_id, OrderTimelineEvent.event)).all()
        assert sorted(events) == sorted((o, OrderEvent.PLACE) for o in db.session.scalars(select(Order.id)))
        assert _count(Order) == 2


def test_five_taken_order_numbers_refuse_the_order_and_leave_nothing(
    shop: Shop, client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = shop.deal(stock=10)
    first, second = shop.shopper(), shop.shopper()
    with clock.frozen(T0):
        taken = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(first)).json["order_no"]
        monkeypatch.setattr(checkout_write, "new_order_no", lambda now: taken)
        with unchanged(app, Order, OrderTimelineEvent, OrderLine, Group, UserDealPurchase):
            response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(second))
    assert response.status_code == 409, response.json
    assert response.json["code"] == "order_no_exhausted"
    with app.app_context():
        assert db.session.get_one(Deal, deal).stock_available == 9
