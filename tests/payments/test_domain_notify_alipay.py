"""POST /api/v1/payments/notify/alipay: RSA2 verified by the provider, body exactly `success` when applied."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.orders.enums import OrderStatus
from groupbuy.payments.enums import PaymentStatus
from tests.factories.market import Shop
from tests.fakes.alipay_server import FakeAlipay
from tests.fakes.payment_keys import throwaway_key
from tests.fakes.wechatpay_server import FakeWeChatPay
from tests.payments.domain import (
    NOTIFY_AT,
    notify,
    order_of,
    pay_events,
    payment_of,
    place_order,
    raw_notifications,
    snapshot,
    start,
)

Fakes = tuple[FakeWeChatPay, FakeAlipay]


def _alipay_order(shop: Shop, client: FlaskClient, price_fen: int = 1990) -> tuple[int, int, str]:
    order = place_order(shop, client, price_fen=price_fen)
    payment = start(client, order, "alipay_qr")
    return order.id, payment["payment_id"], f"{order.order_no}A1"


@pytest.mark.parametrize(("price_fen", "yuan"), [(10, "0.10"), (1999, "19.99"), (10000, "100.00")])
def test_valid_notification_pays_the_order_and_answers_success(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes, price_fen: int, yuan: str
) -> None:
    _, alipay = payments_on
    order_id, payment_id, trade = _alipay_order(shop, client, price_fen)
    headers, body = alipay.build_notify(trade, now=NOTIFY_AT)
    assert dict(parse_qsl(body.decode()))["total_amount"] == yuan

    with clock.frozen(NOTIFY_AT):
        answers = [notify(client, "alipay", headers, body) for _ in range(3)]

    assert [(a.status_code, a.data) for a in answers] == [(200, b"success")] * 3
    order = order_of(app, order_id)
    assert (order.status, order.paid_fen) == (OrderStatus.PAID, price_fen)
    assert pay_events(app, order_id) == 1
    payment = payment_of(app, payment_id)
    assert payment.status is PaymentStatus.PAID and payment.transaction_id == alipay.trades[trade].trade_no


def _resign_with(alipay: FakeAlipay, body: bytes, **changes: str) -> bytes:
    fields = dict(parse_qsl(body.decode()))
    fields.update(changes)
    return urlencode(fields).encode()


SHAPELESS = frozenset({"no sign", "garbage"})


@pytest.mark.parametrize(
    "forge",
    [
        lambda a, b: _resign_with(a, b, total_amount="0.01"),  # changed after signing
        lambda a, b: _resign_with(a, b, sign="AAAA" + dict(parse_qsl(b.decode()))["sign"][4:]),
        lambda a, b: _resign_with(a, b, sign=""),
        lambda a, b: a.sign_notify(dict(parse_qsl(b.decode())), key=throwaway_key("impostor"))[1],
        lambda a, b: b"not=a&valid=form&&&",
    ],
    ids=["tampered amount", "tampered sign", "no sign", "another key", "garbage"],
)
def test_bad_sign_is_rejected_and_changes_nothing(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes, forge: object, request: pytest.FixtureRequest
) -> None:
    _, alipay = payments_on
    order_id, _, trade = _alipay_order(shop, client)
    headers, body = alipay.build_notify(trade, now=NOTIFY_AT)
    before = snapshot(app)

    with clock.frozen(NOTIFY_AT):
        answer = notify(client, "alipay", headers, forge(alipay, body))  # type: ignore[operator]

    assert 400 <= answer.status_code < 500 and answer.data == b"fail"
    kept = 0 if request.node.callspec.id in SHAPELESS else 1  # no sign field / not a form: never stored
    assert snapshot(app) == before and raw_notifications(app) == kept
    assert order_of(app, order_id).status is OrderStatus.PENDING_PAYMENT


def test_another_seller_is_flagged_not_paid(shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes) -> None:
    _, alipay = payments_on
    order_id, payment_id, trade = _alipay_order(shop, client)
    headers, body = alipay.build_notify(trade, now=NOTIFY_AT, seller_id="2088999999999999")

    with clock.frozen(NOTIFY_AT):
        answer = notify(client, "alipay", headers, body)

    assert (answer.status_code, answer.data) == (200, b"success")
    payment = payment_of(app, payment_id)
    assert payment.status is PaymentStatus.FLAGGED and payment.flag_reason == "merchant or app id does not match"
    assert order_of(app, order_id).status is OrderStatus.PENDING_PAYMENT


def test_amount_mismatch_is_flagged(shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes) -> None:
    _, alipay = payments_on
    order_id, payment_id, trade = _alipay_order(shop, client, 1999)
    headers, body = alipay.build_notify(trade, now=NOTIFY_AT, total_amount="19.90")

    with clock.frozen(NOTIFY_AT):
        assert notify(client, "alipay", headers, body).data == b"success"

    assert payment_of(app, payment_id).status is PaymentStatus.FLAGGED
    assert order_of(app, order_id).status is OrderStatus.PENDING_PAYMENT and pay_events(app, order_id) == 0
