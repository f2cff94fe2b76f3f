"""PATCH /leader/me: opening hours, pausing, home delivery with a fee and a radius — and what checkout makes
of them (a paused leader takes no orders; a delivery address outside the radius is refused)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.orders.models import Order
from tests.factories.accounts import AddressFactory
from tests.factories.desk import Desk
from tests.factories.leaders import BEIJING
from tests.factories.market import T0, Shop


def _leader(app: Flask, leader_id: int) -> Leader:
    with app.app_context():
        leader = db.session.get_one(Leader, leader_id)
        db.session.expunge(leader)
        return leader


def _orders(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Order)) or 0)


def _address(app: Flask, user_id: int, lat: float | None, lng: float | None) -> int:
    with app.app_context():
        return AddressFactory(user_id=user_id, lat=lat, lng=lng).id


def _order(deal: int, **more: Any) -> dict[str, Any]:
    return {"items": [{"deal_id": deal, "quantity": 1}], **more}


def test_a_leader_sets_hours_pause_and_delivery(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    with clock.frozen(T0):
        changed = client.patch(
            "/api/v1/leader/me",
            json={
                "opening_hours": "07:30-21:00",
                "offers_delivery": True,
                "delivery_fee_fen": 500,
                "delivery_radius_m": 3000,
            },
            headers=desk.headers,
        )
        partial = client.patch("/api/v1/leader/me", json={"orders_paused": True}, headers=desk.headers)
        public = client.get(f"/api/v1/leaders/{shop.leader_id}")
    assert changed.status_code == 200, changed.json
    assert changed.json["offers_delivery"] is True and changed.json["delivery_radius_m"] == 3000
    assert partial.json["opening_hours"] == "07:30-21:00" and partial.json["orders_paused"] is True
    assert public.json["orders_paused"] is True
    leader = _leader(app, shop.leader_id)
    assert (leader.opening_hours, leader.offers_delivery, leader.delivery_fee_fen, leader.delivery_radius_m) == (
        "07:30-21:00",
        True,
        500,
        3000,
    )
    assert leader.orders_paused is True and leader.updated_at == T0


def test_delivery_needs_a_radius_and_values_are_bounded(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    no_radius = client.patch("/api/v1/leader/me", json={"offers_delivery": True}, headers=desk.headers)
    too_far = client.patch("/api/v1/leader/me", json={"delivery_radius_m": 50_001}, headers=desk.headers)
    not_bool = client.patch("/api/v1/leader/me", json={"orders_paused": 1}, headers=desk.headers)
    server_owned = client.patch("/api/v1/leader/me", json={"commission_rate_bp": 10_000}, headers=desk.headers)
    shopper = client.patch("/api/v1/leader/me", json={"orders_paused": True}, headers=shop.auth(shop.shopper()))
    assert no_radius.status_code == 422 and "delivery_radius_m" in no_radius.json["errors"]
    assert no_radius.json["errors"]["delivery_radius_m"] == ["提供送货上门时必填"]
    assert too_far.status_code == not_bool.status_code == server_owned.status_code == 422
    assert shopper.status_code == 403
    leader = _leader(app, shop.leader_id)
    assert (leader.offers_delivery, leader.orders_paused, leader.commission_rate_bp) == (False, False, 1000)


def test_a_paused_leader_refuses_new_orders(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    deal, buyer = shop.deal(), shop.shopper()
    client.patch("/api/v1/leader/me", json={"orders_paused": True}, headers=desk.headers)
    with clock.frozen(T0):
        refused = client.post("/api/v1/orders", json=_order(deal, fulfilment="pickup"), headers=shop.key(buyer))
    assert refused.status_code == 409 and refused.json["code"] == "leader_paused"
    assert _orders(app) == 0
    client.patch("/api/v1/leader/me", json={"orders_paused": False}, headers=desk.headers)
    with clock.frozen(T0):
        placed = client.post("/api/v1/orders", json=_order(deal, fulfilment="pickup"), headers=shop.key(buyer))
    assert placed.status_code == 201 and _orders(app) == 1


def test_delivery_outside_the_radius_is_refused(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    deal, buyer = shop.deal(), shop.shopper()
    client.patch(
        "/api/v1/leader/me",
        json={"offers_delivery": True, "delivery_fee_fen": 500, "delivery_radius_m": 3000},
        headers=desk.headers,
    )
    far = _address(app, buyer.id, BEIJING[0] + 0.05, BEIJING[1])  # about 5.6 km north
    near = _address(app, buyer.id, BEIJING[0] + 0.01, BEIJING[1])  # about 1.1 km
    unknown = _address(app, buyer.id, None, None)
    with clock.frozen(T0):
        outside = client.post(
            "/api/v1/orders", json=_order(deal, fulfilment="delivery", address_id=far), headers=shop.key(buyer)
        )
        nowhere = client.post(
            "/api/v1/orders", json=_order(deal, fulfilment="delivery", address_id=unknown), headers=shop.key(buyer)
        )
        assert _orders(app) == 0
        inside = client.post(
            "/api/v1/orders", json=_order(deal, fulfilment="delivery", address_id=near), headers=shop.key(buyer)
        )
    assert outside.status_code == 409 and outside.json["code"] == "out_of_delivery_range"
    assert "5.6" in outside.json["detail"]
    assert nowhere.status_code == 409 and nowhere.json["code"] == "address_not_located"
    assert inside.status_code == 201 and inside.json["delivery_fee_fen"] == 500
    assert _orders(app) == 1
