"""After-sale tests: received orders (placed, paid with a sandbox payment, confirmed, shipped, arrived, picked up
through the order service), the people who act on them, and small request helpers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.orders.enums import OrderEvent
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.service import transition
from tests.factories.market import T0, Shop
from tests.factories.payments import PaymentFactory
from tests.flows.conftest import leader_headers, paid_order, staff_headers

PICKED_UP_AT = T0 + timedelta(days=1, hours=2)  # 2026-11-23 12:00 in Shanghai (a Monday)
SOON = PICKED_UP_AT + timedelta(hours=3)


def received_order(app: Flask, user: User, items: dict[int, int], *, at: datetime = PICKED_UP_AT) -> int:
    """An order of ``items`` paid (with its sandbox payment), confirmed, shipped, arrived and picked up at ``at``."""
    order_id = paid_order(app, user, items)
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        PaymentFactory(order_id=order_id, amount_fen=order.paid_fen, created_at=T0, paid_at=T0)
        for event in (OrderEvent.SHIP, OrderEvent.ARRIVE):
            transition(order_id=order_id, event=event, actor="test", now=at - timedelta(hours=6))
        transition(order_id=order_id, event=OrderEvent.PICK_UP, actor="test", now=at)
    return order_id


def line_ids(app: Flask, order_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id).order_by(OrderLine.id))
        )


def ask(
    client: FlaskClient,
    headers: dict[str, str],
    order_id: int,
    items: list[dict[str, Any]],
    amount_fen: int,
    *,
    type: str = "refund_only",
    reason: str = "quality",
    at: datetime = SOON,
    **more: Any,
) -> Any:
    body = {"type": type, "items": items, "reason": reason, "amount_fen": amount_fen, **more}
    with clock.frozen(at):
        return client.post(f"/api/v1/orders/{order_id}/after-sales", json=body, headers=headers)


def act(client: FlaskClient, headers: dict[str, str], path: str, at: datetime = SOON, **body: Any) -> Any:
    with clock.frozen(at):
        return client.post(f"/api/v1{path}", json=body, headers=headers)


def read(client: FlaskClient, headers: dict[str, str], path: str, at: datetime = SOON) -> Any:
    with clock.frozen(at):
        return client.get(f"/api/v1{path}", headers=headers)


@pytest.fixture
def leader(app: Flask, shop: Shop) -> dict[str, str]:
    return leader_headers(app, shop.leader_id)


@pytest.fixture
def cs(app: Flask) -> dict[str, str]:
    return staff_headers(app, Role.CS)
