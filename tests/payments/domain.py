"""Helpers for the payments domain tests: orders to pay, payment links, notifications delivered over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from groupbuy import clock
from groupbuy.accounts.models import User, WeChatIdentity
from groupbuy.db import db, transaction
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.payments.models import Payment, PaymentCallback, ProcessedPaymentEvent, Refund
from tests.factories.market import T0, Shop, order_body

ALL_CHANNELS = "sandbox,wechat_native,wechat_jsapi,alipay_qr"
SELLER_ID = "2088102000000001"  # the fake Alipay's seller id
PAY_AT = T0 + timedelta(minutes=1)  # when the shopper asks for a payment link
NOTIFY_AT = T0 + timedelta(minutes=2)  # when the provider tells us


@dataclass(frozen=True)
class ShopperOrder:
    """An order a test placed over HTTP, with what it takes to act as its buyer (not the service's PlacedOrder)."""

    id: int
    order_no: str
    payable_fen: int
    headers: dict[str, str]
    buyer: User


def place_order(shop: Shop, client: FlaskClient, *, price_fen: int = 990, quantity: int = 1) -> ShopperOrder:
    """A pending_payment order placed at T0 (pay_before = T0 + 15 min)."""
    deal = shop.deal(price_fen=price_fen)
    buyer = shop.shopper()
    with clock.frozen(T0):
        response = client.post("/api/v1/orders", json=order_body(deal, quantity), headers=shop.key(buyer))
    assert response.status_code == 201, response.json
    body = response.json
    return ShopperOrder(body["id"], body["order_no"], body["payable_fen"], shop.auth(buyer), buyer)


def pay_link(client: FlaskClient, order: ShopperOrder, channel: str, **headers: str) -> TestResponse:
    with clock.frozen(PAY_AT):
        return client.post(
            f"/api/v1/orders/{order.id}/payments", json={"channel": channel}, headers={**order.headers, **headers}
        )


def start(client: FlaskClient, order: ShopperOrder, channel: str) -> dict[str, Any]:
    """POST a payment and expect 201."""
    response = pay_link(client, order, channel)
    assert response.status_code == 201, response.json
    return dict(response.json)


def notify(client: FlaskClient, provider: str, headers: dict[str, str], body: bytes) -> TestResponse:
    return client.post(f"/api/v1/payments/notify/{provider}", data=body, headers=headers)


def give_openid(app: Flask, user: User, openid: str = "o-shopper-openid-0001") -> None:
    with app.app_context(), transaction():
        db.session.add(
            WeChatIdentity(user_id=user.id, openid=openid, session_key="sk-test-session-key", updated_at=clock.now())
        )


def payment_of(app: Flask, payment_id: int) -> Payment:
    with app.app_context():
        payment = db.session.get_one(Payment, payment_id)
        db.session.expunge(payment)
        return payment


def order_of(app: Flask, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        db.session.expunge(order)
        return order


def refunds_of(app: Flask, order_id: int) -> list[Refund]:
    with app.app_context():
        rows = list(db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def count(app: Flask, model: type, *where: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def pay_events(app: Flask, order_id: int) -> int:
    """Timeline `pay` events of an order."""
    return count(app, OrderTimelineEvent, OrderTimelineEvent.order_id == order_id, OrderTimelineEvent.event == "pay")


def snapshot(app: Flask) -> dict[str, Any]:
    """Everything a rejected notification must leave alone (the raw notifications are counted apart)."""
    with app.app_context():
        return {
            "orders": [(o.id, o.status, o.paid_fen, o.pickup_code) for o in db.session.scalars(select(Order))],
            "payments": [(p.id, p.status, p.transaction_id) for p in db.session.scalars(select(Payment))],
            "events": count(app, OrderTimelineEvent),
            "processed": count(app, ProcessedPaymentEvent),
            "refunds": count(app, Refund),
        }


def raw_notifications(app: Flask) -> int:
    return count(app, PaymentCallback)


def storm(app: Flask, calls: list[Callable[[FlaskClient], object]]) -> list[int]:
    """Run every call in its own thread with its own client, all released at once; the status codes."""
    barrier, statuses, lock = threading.Barrier(len(calls)), [], threading.Lock()

    def run(call: Callable[[FlaskClient], object]) -> None:
        client = app.test_client()
        barrier.wait()
        status = call(client).status_code  # type: ignore[attr-defined]
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
