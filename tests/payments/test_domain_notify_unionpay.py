"""UnionPay through the payments domain: links and QR codes, POST /api/v1/payments/notify/unionpay (stored raw,
verified, applied once, `ok` only after the commit), reconciliation and refunds (jobs) against the fake gateway."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.service import expire_order
from groupbuy.payments import jobs
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus, RefundState
from groupbuy.payments.models import Payment, PaymentCallback, ProcessedPaymentEvent, Refund
from groupbuy.payments.providers import PAYMENT_PROVIDERS
from tests.conftest import swap
from tests.factories.market import T0, Shop
from tests.fakes.http_server import Fault
from tests.fakes.unionpay_pki import unionpay_pki
from tests.fakes.unionpay_server import FakeUnionPay, beijing
from tests.payments.conftest import UNIONPAY_MER_ID
from tests.payments.domain import (
    NOTIFY_AT,
    PAY_AT,
    ShopperOrder,
    count,
    notify,
    order_of,
    pay_events,
    pay_link,
    payment_of,
    place_order,
    raw_notifications,
    refunds_of,
    snapshot,
    start,
    storm,
)
from tests.rows import ORDER_STATE, unchanged

LATER = NOTIFY_AT + timedelta(minutes=5)


def _unionpay_order(shop: Shop, client: FlaskClient, price_fen: int = 1990) -> tuple[ShopperOrder, int, str]:
    """(order, payment id, orderId at UnionPay) of an order with a live unionpay_qr payment."""
    order = place_order(shop, client, price_fen=price_fen)
    payment = start(client, order, "unionpay_qr")
    return order, payment["payment_id"], f"{order.order_no}U1"


def _assert_paid_once(app: Flask, order_id: int, payment_id: int, deliveries: int) -> None:
    order = order_of(app, order_id)
    assert order.status is OrderStatus.PAID and order.paid_fen == order.payable_fen
    assert order.pickup_code is not None and pay_events(app, order_id) == 1
    payment = payment_of(app, payment_id)
    assert payment.status is PaymentStatus.PAID and payment.applied_to_order
    assert raw_notifications(app) == deliveries
    assert count(app, ProcessedPaymentEvent) == 1 and count(app, Refund) == 0


def test_a_unionpay_qr_link_shows_the_gateways_qr_code(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "unionpay_qr")
    again = start(client, order, "unionpay_qr")  # the live attempt is reused: no second consume

    trade = unionpay_on.trades[f"{order.order_no}U1"]
    assert payment["code_url"] == again["code_url"] == f"https://qr.95516.com/00010000/0{trade.qr_ref}"
    assert payment["qr_png_url"] == f"http://testserver/api/v1/payments/{payment['payment_id']}/qr.png"
    assert len(unionpay_on.calls) == 1 and trade.txn_time == beijing(PAY_AT)
    with clock.frozen(PAY_AT):
        png = client.get(payment["qr_png_url"], headers=order.headers)
    assert png.status_code == 200 and png.mimetype == "image/png"
    recorded = payment_of(app, payment["payment_id"])
    assert (recorded.provider.value, recorded.merchant_id, recorded.app_id) == ("unionpay", UNIONPAY_MER_ID, "")


def test_a_consume_whose_answer_was_lost_gives_way_to_a_new_attempt(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order = place_order(shop, client)
    unionpay_on.faults.add(Fault("timeout", endpoint="back"))  # UnionPay places the QR; we never hear back

    lost = pay_link(client, order, "unionpay_qr")
    duplicate = pay_link(client, order, "unionpay_qr")  # same orderId + txnTime: 12, the qrCode is gone for good
    fresh = start(client, order, "unionpay_qr")

    assert (lost.status_code, duplicate.status_code) == (503, 503)
    assert duplicate.json["code"] == "payment_provider_unavailable"
    assert [c.fields["orderId"][-2:] for c in unionpay_on.calls] == ["U1", "U1", "U2"]
    assert [c.resp_code for c in unionpay_on.calls][1:] == ["12", "00"]  # the first one is still hanging
    assert sorted(unionpay_on.trades) == [f"{order.order_no}U1", f"{order.order_no}U2"]
    with app.app_context():
        attempts = {p.out_trade_no: p.status for p in db.session.query(Payment)}
    assert attempts == {f"{order.order_no}U1": PaymentStatus.FAILED, f"{order.order_no}U2": PaymentStatus.PENDING}
    assert fresh["code_url"].endswith(unionpay_on.trades[f"{order.order_no}U2"].qr_ref)


def test_the_h5_variant_answers_a_signed_form_for_the_web_view(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "unionpay_h5")

    assert payment["code_url"] is None and payment["qr_png_url"] is None
    form = payment["pay_form"]
    assert form["action"] == unionpay_on.url + "/gateway/api/frontTransReq.do"
    assert form["fields"]["orderId"] == f"{order.order_no}H1" and form["fields"]["txnAmt"] == str(order.payable_fen)
    assert unionpay_on.calls == []

    unionpay_on.submit_front_form(form["fields"])  # the web-view posts it; the shopper pays on UnionPay's page
    with clock.frozen(NOTIFY_AT):
        assert (
            notify(client, "unionpay", *unionpay_on.build_notify(f"{order.order_no}H1", txnSubType="01")).data == b"ok"
        )
    assert order_of(app, order.id).status is OrderStatus.PAID


def test_a_genuine_notification_pays_once_and_answers_ok(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, payment_id, trade = _unionpay_order(shop, client)
    headers, body = unionpay_on.build_notify(trade)

    with clock.frozen(NOTIFY_AT):
        answers = [notify(client, "unionpay", headers, body) for _ in range(3)]

    assert [(a.status_code, a.data) for a in answers] == [(200, b"ok")] * 3
    _assert_paid_once(app, order.id, payment_id, 3)
    assert payment_of(app, payment_id).transaction_id == unionpay_on.trades[trade].query_id
    with app.app_context():
        outcomes = sorted(n.outcome for n in db.session.query(PaymentCallback))
    assert outcomes == sorted([CallbackOutcome.APPLIED] + [CallbackOutcome.DUPLICATE] * 2)


@pytest.mark.pg
def test_twenty_concurrent_deliveries_pay_once(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_busy_app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, payment_id, trade = _unionpay_order(shop, client)
    headers, body = unionpay_on.build_notify(trade)

    with clock.frozen(NOTIFY_AT):
        answers = storm(unionpay_busy_app, [lambda c: notify(c, "unionpay", headers, body)] * 20)

    assert answers == [200] * 20
    _assert_paid_once(app, order.id, payment_id, 20)


def _fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode()))


FORGERIES: dict[str, Any] = {
    "tampered": lambda f, t: urlencode(_fields(f.build_notify(t)[1]) | {"txnAmt": "1"}).encode(),
    "unsigned": lambda f, t: urlencode({k: v for k, v in _fields(f.build_notify(t)[1]).items() if k != "signature"}),
    "wrong certificate": lambda f, t: f.sign_notify(f.notify_fields(t), signer=unionpay_pki().foreign_signer)[1],
    "wrong signer name": lambda f, t: f.sign_notify(f.notify_fields(t), signer=unionpay_pki().wrong_org_signer)[1],
    "stale": lambda f, t: f.build_notify(t, txnTime=beijing(NOTIFY_AT - timedelta(days=2)))[1],
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_and_stale_notifications_change_nothing(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay, forgery: str
) -> None:
    order, _, trade = _unionpay_order(shop, client)
    body = FORGERIES[forgery](unionpay_on, trade)
    before = snapshot(app)

    with clock.frozen(NOTIFY_AT):
        answer = notify(client, "unionpay", {"Content-Type": "application/x-www-form-urlencoded"}, body)

    assert answer.status_code == 401 and answer.data == b"fail"
    unsigned = forgery == "unsigned"  # refused by its shape before anything is stored; the others kept for CS
    assert snapshot(app) == before and raw_notifications(app) == (0 if unsigned else 1)
    assert order_of(app, order.id).status is OrderStatus.PENDING_PAYMENT


def test_an_amount_mismatch_is_flagged_not_paid(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, payment_id, trade = _unionpay_order(shop, client, 1999)
    headers, body = unionpay_on.build_notify(trade, txnAmt="1990")

    with clock.frozen(NOTIFY_AT):
        assert notify(client, "unionpay", headers, body).data == b"ok"

    payment = payment_of(app, payment_id)
    assert payment.status is PaymentStatus.FLAGGED and payment.flag_reason == "paid 1990 fen, expected 1999 fen"
    assert order_of(app, order.id).status is OrderStatus.PENDING_PAYMENT and pay_events(app, order.id) == 0


def test_another_merchant_is_flagged_not_paid(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, payment_id, trade = _unionpay_order(shop, client)
    headers, body = unionpay_on.build_notify(trade, merId="777290058119999")

    with clock.frozen(NOTIFY_AT):
        assert notify(client, "unionpay", headers, body).data == b"ok"

    payment = payment_of(app, payment_id)
    assert payment.status is PaymentStatus.FLAGGED and payment.flag_reason == "merchant or app id does not match"
    assert order_of(app, order.id).status is OrderStatus.PENDING_PAYMENT


def test_a_notification_for_an_unknown_trade_is_not_acknowledged(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    _, _, trade = _unionpay_order(shop, client)
    headers, body = unionpay_on.build_notify(trade, orderId="GB20261122999999999U1")

    with clock.frozen(NOTIFY_AT), unchanged(app, *ORDER_STATE, ProcessedPaymentEvent):
        answer = notify(client, "unionpay", headers, body)

    assert answer.status_code == 404 and answer.data == b"fail"
    with app.app_context():  # kept for good: money nobody placed with us is evidence for customer service
        kept = db.session.scalars(select(PaymentCallback)).one()
        assert (kept.outcome, kept.payment_id) == (CallbackOutcome.UNKNOWN_TRADE, None)


def test_notifications_are_refused_while_unionpay_is_off(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    _, _, trade = _unionpay_order(shop, client)
    headers, body = unionpay_on.build_notify(trade)
    swap(app, PAYMENT_PROVIDERS, None, "unionpay_qr")
    swap(app, PAYMENT_PROVIDERS, None, "unionpay_h5")

    with clock.frozen(NOTIFY_AT), unchanged(app, *ORDER_STATE, PaymentCallback, ProcessedPaymentEvent):
        assert notify(client, "unionpay", headers, body).status_code == 404


# -- reconciliation and refunds -------------------------------------------------------------------------------


def test_a_lost_notification_is_found_by_reconciliation(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, payment_id, trade = _unionpay_order(shop, client)
    unionpay_on.pay(trade)

    with app.app_context(), clock.frozen(PAY_AT + timedelta(minutes=5)):
        counts = jobs.reconcile_payments(PAY_AT + timedelta(minutes=5))

    assert counts == {"checked": 1, "paid": 1}
    assert order_of(app, order.id).status is OrderStatus.PAID
    assert payment_of(app, payment_id).transaction_id == unionpay_on.trades[trade].query_id
    query = unionpay_on.calls_to("query")[-1].fields
    assert (query["orderId"], query["txnTime"]) == (trade, unionpay_on.trades[trade].txn_time)


def test_an_unpaid_qr_of_a_dead_order_is_closed_here(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, payment_id, _ = _unionpay_order(shop, client)
    expired = T0 + timedelta(minutes=20)
    with app.app_context():
        assert expire_order(order_id=order.id, now=expired) is not None
        with clock.frozen(expired):
            assert jobs.reconcile_payments(expired) == {"checked": 1, "closed": 1}
    assert payment_of(app, payment_id).status is PaymentStatus.CLOSED


def test_a_cancelled_order_is_refunded_once_under_retries(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, _, trade = _unionpay_order(shop, client)
    with clock.frozen(NOTIFY_AT):
        assert notify(client, "unionpay", *unionpay_on.build_notify(trade)).data == b"ok"
        cancelled = client.post(f"/api/v1/orders/{order.id}/cancel", headers=order.headers)
    assert cancelled.json["status"] == "refunding"
    unionpay_on.faults.add(Fault("timeout", endpoint="back"), times=2)  # refunds, then never answers

    now = LATER
    with app.app_context(), clock.frozen(now):
        jobs.retry_refunds(now)
    for _ in range(3):
        (row,) = refunds_of(app, order.id)
        if row.status is RefundState.SUCCEEDED:
            break
        now = row.next_attempt_at or now + timedelta(minutes=10)
        with app.app_context(), clock.frozen(now):
            jobs.retry_refunds(now)

    (landed,) = refunds_of(app, order.id)
    number = f"{trade}R01"
    assert (landed.out_refund_no, landed.status) == (number, RefundState.SUCCEEDED)
    assert list(unionpay_on.refunds) == [number] and unionpay_on.refunds[number].amount_fen == 1990
    assert {c.fields["orderId"] for c in unionpay_on.calls_to("back", "04")} == {number}
    assert {c.fields["txnTime"] for c in unionpay_on.calls_to("back", "04")} == {unionpay_on.refunds[number].txn_time}
    assert order_of(app, order.id).status is OrderStatus.REFUNDED


def test_a_refund_notification_settles_a_processing_refund(
    shop: Shop, client: FlaskClient, app: Flask, unionpay_on: FakeUnionPay
) -> None:
    order, _, trade = _unionpay_order(shop, client)
    with clock.frozen(NOTIFY_AT):
        notify(client, "unionpay", *unionpay_on.build_notify(trade))
        client.post(f"/api/v1/orders/{order.id}/cancel", headers=order.headers)
    with app.app_context(), clock.frozen(LATER):
        jobs.retry_refunds(LATER)
    assert refunds_of(app, order.id)[0].status is RefundState.PROCESSING

    delivery = unionpay_on.build_refund_notify(f"{trade}R01")
    with clock.frozen(LATER):
        answers = [notify(client, "unionpay", *delivery).data for _ in range(2)]

    assert answers == [b"ok", b"ok"]
    settled = order_of(app, order.id)
    assert (settled.status, settled.refunded_fen) == (OrderStatus.REFUNDED, 1990)
    with app.app_context():
        assert db.session.get_one(Payment, refunds_of(app, order.id)[0].payment_id).refunded_fen == 1990
