"""Pickup codes verify once and only for their own leader, wrong codes are throttled; home delivery; the whole
path through the API to completed; tracking for the shopper, their leader and CS; the pickup QR."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.db import db
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent, PickupCodeFailures
from tests.conftest import tune
from tests.factories.market import T0, Shop
from tests.flows.conftest import (
    AFTER_CUTOFF,
    arrive,
    confirm,
    dispatch,
    leader_headers,
    order_row,
    paid_order,
    staff_headers,
)
from tests.jobs.conftest import run

ARRIVED = AFTER_CUTOFF + timedelta(hours=12)
AT_PICKUP = ARRIVED + timedelta(hours=2)


def _ready(shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]) -> list[int]:
    deal = shop.deal()
    orders = [paid_order(app, shop.shopper(), {deal: 1}) for _ in range(2)]
    dispatch(client, admin, shop.leader_id)
    assert arrive(client, leader, {}, ARRIVED).status_code == 201
    return orders


def _verify(client: FlaskClient, leader: dict[str, str], code: str, at: Any = AT_PICKUP) -> Any:
    with clock.frozen(at):
        return client.post("/api/v1/leader/pickups", json={"pickup_code": code}, headers=leader)


def _wrong_code(app: Flask) -> str:
    """A code no order holds."""
    with app.app_context():
        taken = set(db.session.scalars(select(Order.pickup_code)))
    return next(code for n in range(100) if (code := f"{n:08d}") not in taken)


def test_a_pickup_code_verifies_once(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]
) -> None:
    first, second = _ready(shop, app, client, admin, leader)
    code = order_row(app, first).pickup_code
    assert code is not None

    verified = _verify(client, leader, code)
    again = _verify(client, leader, code, AT_PICKUP + timedelta(minutes=3))

    assert verified.status_code == 200 and verified.json["status"] == "picked_up"
    assert again.status_code == 409 and again.json["code"] == "already_picked_up"
    assert AT_PICKUP.strftime("%Y-%m-%dT%H:%M") in again.json["detail"]
    assert order_row(app, first).status is OrderStatus.PICKED_UP
    assert order_row(app, second).status is OrderStatus.READY_FOR_PICKUP
    with app.app_context():
        events = db.session.scalars(
            select(OrderTimelineEvent).where(
                OrderTimelineEvent.order_id == first, OrderTimelineEvent.event == OrderEvent.PICK_UP
            )
        ).all()
        assert [(e.actor, e.at) for e in events] == [(f"leader:{shop.leader_id}", AT_PICKUP)]
        # Codes that were found never count as wrong ones.
        assert db.session.get_one(PickupCodeFailures, shop.leader_id).failures == 0


def test_another_leaders_code_is_not_found(
    shop: Shop,
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    leader: dict[str, str],
    other_leader_id: int,
) -> None:
    first, _ = _ready(shop, app, client, admin, leader)
    other = leader_headers(app, other_leader_id)

    response = _verify(client, other, order_row(app, first).pickup_code or "")
    with clock.frozen(AT_PICKUP):
        tracking = client.get(f"/api/v1/orders/{first}/tracking", headers=other)

    assert response.status_code == 404 and response.json["code"] == "pickup_code_not_found"
    assert tracking.status_code == 404
    assert order_row(app, first).status is OrderStatus.READY_FOR_PICKUP


def test_wrong_codes_are_throttled_per_leader_for_the_window(
    shop: Shop,
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    leader: dict[str, str],
    other_leader_id: int,
) -> None:
    first, _ = _ready(shop, app, client, admin, leader)
    wrong = _wrong_code(app)

    answers = [_verify(client, leader, wrong, AT_PICKUP + timedelta(seconds=n)).status_code for n in range(10)]
    blocked = _verify(client, leader, order_row(app, first).pickup_code or "", AT_PICKUP + timedelta(minutes=1))
    elsewhere = _verify(client, leader_headers(app, other_leader_id), wrong, AT_PICKUP + timedelta(minutes=1))
    later = _verify(client, leader, order_row(app, first).pickup_code or "", AT_PICKUP + timedelta(minutes=10))

    assert answers == [404] * 10
    assert blocked.status_code == 429 and blocked.json["code"] == "pickup_code_throttled"
    assert 0 < int(blocked.headers["Retry-After"]) <= 9 * 60 + 1
    assert elsewhere.status_code == 404  # another leader's window is their own
    assert later.status_code == 200
    assert order_row(app, first).status is OrderStatus.PICKED_UP


def test_the_whole_pickup_path_through_the_api_ends_completed(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]
) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    order_id = paid_order(app, buyer, {deal: 2}, confirmed=False)
    confirm(app, order_id, stock=True)  # paid → confirmed → stocking (the leader's desk)
    shopper = shop.auth(buyer)

    assert dispatch(client, admin, shop.leader_id).json["order_ids"] == [order_id]
    assert arrive(client, leader, {deal: 2}, ARRIVED).status_code == 201
    with clock.frozen(ARRIVED):
        detail = client.get(f"/api/v1/orders/{order_id}", headers=shopper).json
    assert detail["status"] == "ready_for_pickup"
    assert detail["pickup_qr_url"] == f"http://testserver/api/v1/orders/{order_id}/pickup-qr.png"
    assert _verify(client, leader, detail["pickup_code"]).status_code == 200
    with clock.frozen(AT_PICKUP + timedelta(hours=1)):
        done = client.post(f"/api/v1/orders/{order_id}/confirm-receipt", headers=shopper)
        tracking = client.get(f"/api/v1/orders/{order_id}/tracking", headers=shopper)

    assert done.status_code == 200 and done.json["status"] == "completed"
    assert order_row(app, order_id).status is OrderStatus.COMPLETED
    steps = [(e["event"], e["to_status"], e["actor"]) for e in tracking.json["events"]]
    assert steps[1:] == [
        ("pay", "paid", "system"),
        ("confirm", "confirmed", "leader"),
        ("stock", "stocking", "leader"),
        ("ship", "shipped", "platform"),
        ("arrive", "ready_for_pickup", "leader"),
        ("pick_up", "picked_up", "leader"),
        ("confirm_receipt", "completed", "shopper"),
    ]


def test_tracking_is_for_the_shopper_their_leader_and_cs_only(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str]
) -> None:
    buyer = shop.shopper()
    order_id = paid_order(app, buyer, {shop.deal(): 1})
    viewers = {
        "owner": shop.auth(buyer),
        "leader": leader,
        "cs": staff_headers(app, Role.CS),
        "other shopper": shop.auth(shop.shopper()),
    }
    with clock.frozen(AFTER_CUTOFF):
        codes = {
            who: client.get(f"/api/v1/orders/{order_id}/tracking", headers=h).status_code for who, h in viewers.items()
        }
        anonymous = client.get(f"/api/v1/orders/{order_id}/tracking")
    assert codes == {"owner": 200, "leader": 200, "cs": 200, "other shopper": 404}
    assert anonymous.status_code == 401


def test_the_pickup_qr_is_the_owners_only(shop: Shop, app: Flask, client: FlaskClient) -> None:
    buyer = shop.shopper()
    order_id = paid_order(app, buyer, {shop.deal(): 1}, confirmed=False)
    with clock.frozen(AFTER_CUTOFF):
        png = client.get(f"/api/v1/orders/{order_id}/pickup-qr.png", headers=shop.auth(buyer))
        svg = client.get(f"/api/v1/orders/{order_id}/pickup-qr.svg", headers=shop.auth(buyer))
        other = client.get(f"/api/v1/orders/{order_id}/pickup-qr.png", headers=shop.auth(shop.shopper()))
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "private" in png.headers["Cache-Control"]
    assert other.status_code == 404


def test_home_delivery_goes_out_then_delivered_then_auto_completes(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str], leader: dict[str, str]
) -> None:
    shop.offer_delivery(fee_fen=300)
    deal = shop.deal()
    buyer = shop.shopper()
    order_id = paid_order(app, buyer, {deal: 1}, delivery_address=shop.address(buyer))
    pickup_order = paid_order(app, shop.shopper(), {deal: 1})
    dispatch(client, admin, shop.leader_id)
    arrive(client, leader, {}, ARRIVED)

    def step(order: int, action: str) -> Any:
        with clock.frozen(AT_PICKUP):
            return client.post(f"/api/v1/leader/orders/{order}/{action}", headers=leader)

    assert step(order_id, "delivered").status_code == 409  # not out yet
    assert step(pickup_order, "out-for-delivery").json["code"] == "not_a_delivery_order"
    assert step(order_id, "out-for-delivery").json["status"] == "out_for_delivery"
    assert step(order_id, "delivered").json["status"] == "delivered"
    assert order_row(app, order_id).status is OrderStatus.DELIVERED
    tune(app, auto_confirm_days=7)
    assert run(app, "auto_confirm_receipt", AT_PICKUP + timedelta(days=7)) == {"orders_completed": 1}
    assert order_row(app, order_id).status is OrderStatus.COMPLETED


def test_another_leaders_delivery_order_is_not_found(
    shop: Shop, app: Flask, client: FlaskClient, other_leader_id: int
) -> None:
    shop.offer_delivery(fee_fen=0)
    buyer = shop.shopper()
    order_id = paid_order(app, buyer, {shop.deal(): 1}, delivery_address=shop.address(buyer))
    with clock.frozen(T0 + timedelta(hours=1)):
        response = client.post(
            f"/api/v1/leader/orders/{order_id}/out-for-delivery", headers=leader_headers(app, other_leader_id)
        )
    assert response.status_code == 404
    assert order_row(app, order_id).status is OrderStatus.CONFIRMED
