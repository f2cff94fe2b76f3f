"""POST /api/v1/payments/notify/wechat: every delivery stored raw, verified before parsing, applied once
(RELIABILITY invariants 3 and 7); forged or broken deliveries change nothing and never call out."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.orders.enums import OrderStatus
from groupbuy.payments import jobs
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus, RefundSource, RefundState
from groupbuy.payments.models import Payment, PaymentCallback, ProcessedPaymentEvent, Refund
from tests.factories.market import Shop
from tests.fakes.alipay_server import FakeAlipay
from tests.fakes.payment_keys import throwaway_key
from tests.fakes.wechatpay_server import FakeWeChatPay
from tests.payments.domain import (
    NOTIFY_AT,
    PAY_AT,
    count,
    notify,
    order_of,
    pay_events,
    payment_of,
    place_order,
    raw_notifications,
    refunds_of,
    snapshot,
    start,
    storm,
)

Fakes = tuple[FakeWeChatPay, FakeAlipay]
Delivery = tuple[dict[str, str], bytes]


def _wechat_order(shop: Shop, client: FlaskClient, price_fen: int = 1990) -> tuple[int, int, str]:
    """(order id, payment id, out_trade_no) of an order with a live WeChat native payment."""
    order = place_order(shop, client, price_fen=price_fen)
    payment = start(client, order, "wechat_native")
    return order.id, payment["payment_id"], f"{order.order_no}W1"


def _assert_paid_once(app: Flask, order_id: int, payment_id: int, deliveries: int) -> None:
    order = order_of(app, order_id)
    assert order.status is OrderStatus.PAID and order.paid_fen == order.payable_fen
    assert order.pickup_code is not None and len(order.pickup_code) == 8 and order.pickup_code.isdigit()
    assert pay_events(app, order_id) == 1
    assert count(app, Payment, Payment.order_id == order_id) == 1
    assert payment_of(app, payment_id).status is PaymentStatus.PAID
    assert payment_of(app, payment_id).applied_to_order
    assert raw_notifications(app) == deliveries
    assert count(app, ProcessedPaymentEvent) == 1
    assert count(app, Refund) == 0  # no duplicate was mistaken for a late payment


def test_the_same_success_fifteen_times_pays_once(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order_id, payment_id, trade = _wechat_order(shop, client)
    headers, body = wechat.build_transaction_notification(trade, now=NOTIFY_AT)

    with clock.frozen(NOTIFY_AT):  # answered at once is the provider's rule; how fast is bench work, not a test's
        answers = [notify(client, "wechat", headers, body) for _ in range(15)]

    assert [a.status_code for a in answers] == [204] * 15
    assert all(a.data == b"" for a in answers)
    _assert_paid_once(app, order_id, payment_id, 15)
    with app.app_context():
        outcomes = list(db.session.scalars(select(PaymentCallback.outcome).order_by(PaymentCallback.id)))
    assert outcomes == [CallbackOutcome.APPLIED] + [CallbackOutcome.DUPLICATE] * 14


def test_a_second_event_for_a_paid_payment_changes_nothing(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    """A different event id for the same trade (e.g. after reconciliation): the state guard dedupes it."""
    wechat, _ = payments_on
    order_id, payment_id, trade = _wechat_order(shop, client)
    with clock.frozen(NOTIFY_AT):
        first = notify(client, "wechat", *wechat.build_transaction_notification(trade, now=NOTIFY_AT))
        second = notify(client, "wechat", *wechat.build_transaction_notification(trade, now=NOTIFY_AT))
    assert (first.status_code, second.status_code) == (204, 204)
    assert pay_events(app, order_id) == 1 and refunds_of(app, order_id) == []
    assert payment_of(app, payment_id).status is PaymentStatus.PAID


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_fifteen_deliveries_five_at_once_pay_once(
    shop: Shop, client: FlaskClient, app: Flask, busy_app: Flask, payments_on: Fakes, round_: int
) -> None:
    wechat, _ = payments_on
    order_id, payment_id, trade = _wechat_order(shop, client)
    headers, body = wechat.build_transaction_notification(trade, now=NOTIFY_AT)
    # Resends of the same event: same body (same event id), signed again with other nonces and times.
    resends = [(headers, body)] * 4 + [
        (wechat.sign_notification(body, now=NOTIFY_AT + timedelta(seconds=s)), body) for s in range(6)
    ]
    random.Random(round_).shuffle(resends)

    with clock.frozen(NOTIFY_AT):
        concurrent = storm(busy_app, [lambda c: notify(c, "wechat", headers, body)] * 5)
        later = [notify(client, "wechat", h, b).status_code for h, b in resends]

    assert concurrent + later == [204] * 15
    _assert_paid_once(app, order_id, payment_id, 15)


def _flip(signature: str) -> str:
    raw = bytearray(base64.b64decode(signature))
    raw[10] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


FORGERIES: dict[str, Callable[[FakeWeChatPay, str], Delivery]] = {
    "tampered body": lambda f, t: (
        (d := f.build_transaction_notification(t, now=NOTIFY_AT))[0],
        d[1].replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCES5"),
    ),
    "tampered signature": lambda f, t: (
        {
            **(d := f.build_transaction_notification(t, now=NOTIFY_AT))[0],
            "Wechatpay-Signature": _flip(d[0]["Wechatpay-Signature"]),
        },
        d[1],
    ),
    "another key": lambda f, t: (
        f.sign_notification(
            (b := f.build_transaction_notification(t, now=NOTIFY_AT)[1]), now=NOTIFY_AT, key=throwaway_key("impostor")
        ),
        b,
    ),
    "unknown serial": lambda f, t: (
        f.sign_notification(
            (b := f.build_transaction_notification(t, now=NOTIFY_AT)[1]), now=NOTIFY_AT, serial="PUB_KEY_ID_UNKNOWN"
        ),
        b,
    ),
    "probe signature": lambda f, t: (
        {
            **(d := f.build_transaction_notification(t, now=NOTIFY_AT))[0],
            "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + d[0]["Wechatpay-Signature"],
        },
        d[1],
    ),
    "missing signature": lambda f, t: (
        _without((d := f.build_transaction_notification(t, now=NOTIFY_AT))[0], "Wechatpay-Signature"),
        d[1],
    ),
    "missing timestamp": lambda f, t: (
        _without((d := f.build_transaction_notification(t, now=NOTIFY_AT))[0], "Wechatpay-Timestamp"),
        d[1],
    ),
    "missing serial": lambda f, t: (
        _without((d := f.build_transaction_notification(t, now=NOTIFY_AT))[0], "Wechatpay-Serial"),
        d[1],
    ),
    "timestamp +301 s": lambda f, t: f.build_transaction_notification(t, now=NOTIFY_AT + timedelta(seconds=301)),
    "timestamp -301 s": lambda f, t: f.build_transaction_notification(t, now=NOTIFY_AT - timedelta(seconds=301)),
    "wrong APIv3 key": lambda f, t: f.build_callback(
        "TRANSACTION.SUCCESS", f.transaction_resource(t), now=NOTIFY_AT, apiv3_key=b"another-apiv3-key-of-32-bytes!!!"
    ),
    "malformed base64": lambda f, t: f.build_callback(
        "TRANSACTION.SUCCESS", f.transaction_resource(t), now=NOTIFY_AT, ciphertext="not base64 at all!"
    ),
    "signed garbage": lambda f, t: (f.sign_notification(b"{not json", now=NOTIFY_AT), b"{not json"),
    "foreign merchant": lambda f, t: f.build_transaction_notification(t, now=NOTIFY_AT, mchid="1900000999"),
}


# Without the Wechatpay-* headers or the v3 envelope nothing is stored (providers/notify_shape.py).
SHAPELESS = frozenset({"missing signature", "missing timestamp", "missing serial", "signed garbage"})


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_unverifiable_notifications_change_nothing_and_call_nobody(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes, monkeypatch: pytest.MonkeyPatch, forgery: str
) -> None:
    wechat, _ = payments_on
    order_id, payment_id, trade = _wechat_order(shop, client)
    headers, body = FORGERIES[forgery](wechat, trade)
    before, calls = snapshot(app), len(wechat.calls)

    def no_outbound(*args: object, **kwargs: object) -> None:
        raise AssertionError("outbound HTTP while handling a notification")

    monkeypatch.setattr(requests.Session, "request", no_outbound)
    with clock.frozen(NOTIFY_AT):
        answer = notify(client, "wechat", headers, body)

    assert 400 <= answer.status_code < 500
    assert answer.json["code"] == "FAIL" and answer.json["message"] == "invalid notification"
    assert snapshot(app) == before and len(wechat.calls) == calls
    if forgery in SHAPELESS:  # refused by the shape check: nothing kept
        assert raw_notifications(app) == 0
        return
    assert raw_notifications(app) == 1
    with app.app_context():
        stored = db.session.scalars(select(PaymentCallback)).one()
        assert stored.body == body[:65536] and stored.outcome is CallbackOutcome.REJECTED
        assert stored.headers.get("Wechatpay-Nonce") == headers.get("Wechatpay-Nonce")
    assert order_of(app, order_id).status is OrderStatus.PENDING_PAYMENT
    assert payment_of(app, payment_id).status is PaymentStatus.PENDING


def test_unknown_trade_is_refused_so_wechat_resends(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    wechat.add_trade("GB20261122SOMEONEELSE1", 500)
    with clock.frozen(NOTIFY_AT):
        answer = notify(
            client, "wechat", *wechat.build_transaction_notification("GB20261122SOMEONEELSE1", now=NOTIFY_AT)
        )
    assert answer.status_code == 404 and answer.json["code"] == "FAIL"
    assert raw_notifications(app) == 1 and count(app, ProcessedPaymentEvent) == 0


def test_the_endpoint_needs_the_channel_enabled(client: FlaskClient, app: Flask) -> None:
    answer = client.post("/api/v1/payments/notify/wechat", data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 404 and answer.json == {"code": "FAIL", "message": "provider not enabled"}
    assert raw_notifications(app) == 0


def test_amount_mismatch_flags_the_payment_and_does_not_pay(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order_id, payment_id, trade = _wechat_order(shop, client, price_fen=1990)
    headers, body = wechat.build_transaction_notification(
        trade, now=NOTIFY_AT, amount={"total": 1, "payer_total": 1, "currency": "CNY"}
    )
    with clock.frozen(NOTIFY_AT):
        answer = notify(client, "wechat", headers, body)

    assert answer.status_code == 204
    payment = payment_of(app, payment_id)
    assert payment.status is PaymentStatus.FLAGGED and payment.flag_reason == "paid 1 fen, expected 1990 fen"
    assert order_of(app, order_id).status is OrderStatus.PENDING_PAYMENT and pay_events(app, order_id) == 0
    with clock.frozen(NOTIFY_AT):  # the genuine amount afterwards does not unflag it silently
        notify(client, "wechat", *wechat.build_transaction_notification(trade, now=NOTIFY_AT))
    assert payment_of(app, payment_id).status is PaymentStatus.FLAGGED
    assert order_of(app, order_id).status is OrderStatus.PENDING_PAYMENT


def test_late_payment_on_a_cancelled_order_is_recorded_and_refunded_once(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client, price_fen=1990)
    payment_id = start(client, order, "wechat_native")["payment_id"]
    trade = f"{order.order_no}W1"
    with clock.frozen(PAY_AT):
        assert client.post(f"/api/v1/orders/{order.id}/cancel", headers=order.headers).json["status"] == "cancelled"
    delivery = wechat.build_transaction_notification(trade, now=NOTIFY_AT)

    with clock.frozen(NOTIFY_AT):
        answers = [notify(client, "wechat", *delivery) for _ in range(3)]
        answers.append(notify(client, "wechat", *wechat.build_transaction_notification(trade, now=NOTIFY_AT)))
        with app.app_context():
            results = [jobs.retry_refunds(NOTIFY_AT + timedelta(minutes=m)) for m in (0, 1, 30)]
            jobs.reconcile_payments(NOTIFY_AT + timedelta(minutes=30))

    assert [a.status_code for a in answers] == [204] * 4
    assert results[0]["retried"] == 1
    payment = payment_of(app, payment_id)
    assert payment.status is PaymentStatus.PAID and not payment.applied_to_order
    assert order_of(app, order.id).status is OrderStatus.CANCELLED and pay_events(app, order.id) == 0
    (late,) = refunds_of(app, order.id)
    assert (late.source, late.amount_fen, late.out_refund_no) == (RefundSource.LATE_PAYMENT, 1990, f"{trade}R01")
    assert list(wechat.refunds) == [f"{trade}R01"] and wechat.refunds[f"{trade}R01"].refund_fen == 1990
    assert late.status is RefundState.PROCESSING

    wechat.settle_refund(f"{trade}R01")
    with clock.frozen(NOTIFY_AT):
        settled = notify(client, "wechat", *wechat.build_refund_notification(f"{trade}R01", now=NOTIFY_AT))
    assert settled.status_code == 204
    assert refunds_of(app, order.id)[0].status is RefundState.SUCCEEDED
    assert order_of(app, order.id).refunded_fen == 0  # the order never took this money


def test_a_second_payment_for_a_paid_order_is_refunded(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    """The shopper paid by WeChat and by the sandbox: the second is a late payment too."""
    wechat, _ = payments_on
    order = place_order(shop, client)
    wechat_payment = start(client, order, "wechat_native")["payment_id"]
    sandbox = start(client, order, "sandbox")
    with clock.frozen(NOTIFY_AT):
        notify(client, "wechat", *wechat.build_transaction_notification(f"{order.order_no}W1", now=NOTIFY_AT))
        client.post(f"/pay/sandbox/{sandbox['code_url'].rsplit('/', 1)[1]}", data={"result": "success"})

    assert payment_of(app, wechat_payment).applied_to_order
    assert payment_of(app, sandbox["payment_id"]).status is PaymentStatus.PAID
    (late,) = refunds_of(app, order.id)
    assert late.payment_id == sandbox["payment_id"] and late.source is RefundSource.LATE_PAYMENT
    assert pay_events(app, order.id) == 1


def test_a_failed_trade_notification_fails_the_attempt(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order_id, payment_id, trade = _wechat_order(shop, client)
    closed = wechat.transaction_resource(trade, trade_state="CLOSED")
    with clock.frozen(NOTIFY_AT):
        answer = notify(client, "wechat", *wechat.build_callback("TRANSACTION.CLOSED", closed, now=NOTIFY_AT))
    assert answer.status_code == 204
    assert payment_of(app, payment_id).status is PaymentStatus.CLOSED
    assert order_of(app, order_id).status is OrderStatus.PENDING_PAYMENT
