"""Helpers for goods-moving tests: orders paid and confirmed through the services, the people who act on them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import Fulfilment, OrderEvent
from groupbuy.orders.models import Order
from groupbuy.orders.service import CheckoutItem, place_order, transition
from tests.factories.accounts import bearer, make_user
from tests.factories.leaders import LeaderFactory
from tests.factories.market import T0, Shop
from tests.jobs.conftest import pay

PICKUP_DATE = date(2026, 11, 23)
AFTER_CUTOFF = T0 + timedelta(hours=11)  # 21:00 in Shanghai on the eve of the pickup date


def confirm(app: Flask, order_id: int, *, stock: bool = False, at: datetime = AFTER_CUTOFF) -> None:
    """paid → confirmed (→ stocking): the leader's step (issue 11 part A), here through the state machine."""
    with app.app_context():
        transition(order_id=order_id, event=OrderEvent.CONFIRM, actor="leader:test", now=at)
        if stock:
            transition(order_id=order_id, event=OrderEvent.STOCK, actor="leader:test", now=at)


def paid_order(
    app: Flask,
    user: User,
    items: dict[int, int],
    *,
    at: datetime = T0,
    confirmed: bool = True,
    delivery_address: int | None = None,
) -> int:
    """An order of ``items`` ({deal_id: quantity}) placed at ``at``, paid a minute later, then confirmed."""
    with app.app_context():
        order = place_order(
            user_id=user.id,
            items=[CheckoutItem(deal_id=d, quantity=q) for d, q in items.items()],
            from_cart=False,
            fulfilment=Fulfilment.DELIVERY if delivery_address else Fulfilment.PICKUP,
            address_id=delivery_address,
            leader_id=None,
            now=at,
        )
        order_id = order.id
    pay(app, order_id, now=at + timedelta(minutes=1))
    if confirmed:
        confirm(app, order_id)
    return order_id


def leader_headers(app: Flask, leader_id: int) -> dict[str, str]:
    with app.app_context():
        return bearer(db.session.get_one(User, db.session.get_one(Leader, leader_id).user_id))


def staff_headers(app: Flask, role: Role) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user(role))


def order_row(app: Flask, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        db.session.expunge(order)
        return order


def dispatch(client: FlaskClient, admin: dict[str, str], leader_id: int, at: datetime = AFTER_CUTOFF) -> Any:
    with clock.frozen(at):
        return client.post(
            "/api/v1/admin/dispatches",
            json={"leader_id": leader_id, "pickup_date": PICKUP_DATE.isoformat()},
            headers=admin,
        )


def arrive(client: FlaskClient, leader: dict[str, str], lines: dict[int, int], at: datetime) -> Any:
    body = {
        "pickup_date": PICKUP_DATE.isoformat(),
        "lines": [{"deal_id": d, "received_quantity": q} for d, q in lines.items()],
    }
    with clock.frozen(at):
        return client.post("/api/v1/leader/arrivals", json=body, headers=leader)


@pytest.fixture
def admin(app: Flask) -> dict[str, str]:
    return staff_headers(app, Role.ADMIN)


@pytest.fixture
def leader(app: Flask, shop: Shop) -> dict[str, str]:
    return leader_headers(app, shop.leader_id)


@pytest.fixture
def other_leader_id(app: Flask) -> int:
    with app.app_context(), clock.frozen(T0 - timedelta(days=3)):
        return int(LeaderFactory().id)
