"""The order factories make what the services make: each trait next to the same order driven through them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.orders.models import OrderRefund
from groupbuy.orders.service import record_order_refund
from tests.factories.accounts import bearer
from tests.factories.market import T0, Shop, order_body
from tests.factories.orders import REFUND_TAKES, OrderFactory
from tests.jobs.conftest import pay, run

IDS = ("id", "order_no", "pickup_code", "pickup_qr_url")  # the pickup QR link names the order id


def _shown(client: FlaskClient, app: Flask, order_id: int, user_id: int) -> dict[str, Any]:
    """GET /orders/{id} without what differs between any two orders (ids, number, pickup code and its QR link, the
    buyer)."""
    with app.app_context():
        headers = bearer(db.session.get_one(User, user_id))
    with clock.frozen(T0 + timedelta(days=1)):
        body = client.get(f"/api/v1/orders/{order_id}", headers=headers).json
    for key in IDS:
        body.pop(key)
    for line in body["lines"]:
        line.pop("id")
    for event in body["timeline"]:
        event["actor"] = event["actor"].replace(f"user:{user_id}", "user:me")
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize("stage", ["placed", "unpaid_in_failed_group", "paid", "refunding", "refunded", "cancelled"])
def test_each_trait_is_the_order_the_services_make(stage: str, shop: Shop, client: FlaskClient, app: Flask) -> None:
    in_failed_group = stage in ("unpaid_in_failed_group", "refunding", "refunded")
    paid = stage not in ("placed", "unpaid_in_failed_group")
    deal = shop.deal(price_fen=1000, min_group_quantity=5 if in_failed_group else 1)
    buyer = shop.shopper()
    with clock.frozen(T0):
        made = client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(buyer)).json["id"]
    if paid:
        pay(app, made)
    if in_failed_group:
        run(app, "close_due_groups", shop.cutoff)
    if stage == "cancelled":  # by the shopper, once paid: refunded in full
        with clock.frozen(T0 + timedelta(minutes=1)):
            assert client.post(f"/api/v1/orders/{made}/cancel", headers=shop.auth(buyer)).status_code == 200
    if stage in ("refunded", "cancelled"):
        with app.app_context():
            ledger = db.session.scalars(select(OrderRefund)).one()
            record_order_refund(
                order_id=made, amount_fen=2000, now=ledger.created_at + REFUND_TAKES, order_refund_id=ledger.id
            )
    with app.app_context():
        factory_made = OrderFactory(
            deal=deal,
            quantity=2,
            leader_id=shop.leader_id,
            placed_at=T0,
            paid=paid,
            in_failed_group=in_failed_group,
            refunded=stage in ("refunded", "cancelled"),
        )
        order_id, user_id = factory_made.id, factory_made.user_id
    expected = _shown(client, app, made, buyer.id)
    got = _shown(client, app, order_id, user_id)
    assert got == expected
