"""reconcile_payments(now): a lost notification still pays the order; attempts of dead orders are closed;
provider errors leave the payment pending for the next run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.service import expire_order
from groupbuy.payments import jobs
from groupbuy.payments.enums import PaymentStatus, RefundSource
from tests.factories.market import T0, Shop
from tests.fakes.alipay_server import FakeAlipay
from tests.fakes.http_server import Fault
from tests.fakes.wechatpay_server import FakeWeChatPay
from tests.payments.domain import PAY_AT, order_of, pay_events, payment_of, place_order, refunds_of, start

Fakes = tuple[FakeWeChatPay, FakeAlipay]
EXPIRED = T0 + timedelta(minutes=20)  # past pay_before (T0 + 15 min)


def _reconcile(app: Flask, at: Any) -> dict[str, int]:
    with app.app_context(), clock.frozen(at):
        return jobs.reconcile_payments(at)


def _expire(app: Flask, order_id: int) -> None:
    with app.app_context():
        assert expire_order(order_id=order_id, now=EXPIRED) is not None


def test_a_lost_notification_still_pays_the_order(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client, price_fen=1990)
    payment = start(client, order, "wechat_native")
    wechat.pay(f"{order.order_no}W1")  # the buyer paid; WeChat's notification never arrived

    too_early = _reconcile(app, PAY_AT + timedelta(minutes=4))
    assert too_early == {"checked": 0} and order_of(app, order.id).status is OrderStatus.PENDING_PAYMENT
    counts = _reconcile(app, PAY_AT + timedelta(minutes=5))

    assert counts == {"checked": 1, "paid": 1}
    paid = order_of(app, order.id)
    assert paid.status is OrderStatus.PAID and paid.pickup_code is not None and pay_events(app, order.id) == 1
    recorded = payment_of(app, payment["payment_id"])
    assert (
        recorded.status is PaymentStatus.PAID
        and recorded.transaction_id == wechat.trades[f"{order.order_no}W1"].transaction_id
    )
    assert _reconcile(app, PAY_AT + timedelta(minutes=10)) == {"checked": 0}  # nothing left to ask about


def test_unpaid_attempts_of_expired_orders_are_closed(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client)
    payment = start(client, order, "wechat_native")
    _expire(app, order.id)

    assert _reconcile(app, EXPIRED) == {"checked": 1, "closed": 1}
    assert wechat.trades[f"{order.order_no}W1"].state == "CLOSED"
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.CLOSED


def test_a_pending_payment_of_a_payable_order_stays_pending(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client)
    payment = start(client, order, "wechat_native")

    assert _reconcile(app, PAY_AT + timedelta(minutes=6)) == {"checked": 1, "pending": 1}
    assert len(wechat.calls_to("close")) == 0
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.PENDING


def test_the_buyer_wins_the_close_race_and_the_money_is_refunded(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client, price_fen=990)
    payment = start(client, order, "wechat_native")
    trade = f"{order.order_no}W1"
    _expire(app, order.id)
    answer = wechat._answer

    def pay_just_before_close(endpoint: Any, *args: Any) -> Any:
        if endpoint == "close":
            wechat.pay(trade)  # between our query (NOTPAY) and our close: WeChat answers ORDERPAID
        return answer(endpoint, *args)

    monkeypatch.setattr(wechat, "_answer", pay_just_before_close)
    counts = _reconcile(app, EXPIRED)

    assert counts == {"checked": 1, "late_payment": 1}
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.PAID
    assert order_of(app, order.id).status is OrderStatus.CANCELLED
    (late,) = refunds_of(app, order.id)
    assert (late.source, late.amount_fen) == (RefundSource.LATE_PAYMENT, 990)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("error", endpoint="query", status=500, code="SYSTEM_ERROR"),
        Fault("timeout", endpoint="query", after_processing=False),
        Fault("bad_signature", endpoint="query"),
    ],
    ids=["system error", "timeout", "unsigned answer"],
)
def test_provider_errors_leave_the_payment_pending(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes, fault: Fault
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client)
    payment = start(client, order, "wechat_native")
    wechat.pay(f"{order.order_no}W1")
    wechat.faults.add(fault)

    assert _reconcile(app, PAY_AT + timedelta(minutes=5)) == {"checked": 1, "error": 1}
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.PENDING
    assert _reconcile(app, PAY_AT + timedelta(minutes=6)) == {"checked": 1, "paid": 1}  # the next run resolves it
    assert order_of(app, order.id).status is OrderStatus.PAID


def test_an_unscanned_alipay_qr_of_a_dead_order_is_closed_here(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    _, alipay = payments_on
    order = place_order(shop, client)
    payment = start(client, order, "alipay_qr")
    _expire(app, order.id)

    assert _reconcile(app, EXPIRED) == {"checked": 1, "closed": 1}
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.CLOSED
    assert [c.method for c in alipay.calls][-2:] == ["alipay.trade.query", "alipay.trade.close"]


def test_an_alipay_payment_found_by_query(shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes) -> None:
    _, alipay = payments_on
    order = place_order(shop, client, price_fen=1999)
    start(client, order, "alipay_qr")
    alipay.pay(f"{order.order_no}A1")

    assert _reconcile(app, PAY_AT + timedelta(minutes=5)) == {"checked": 1, "paid": 1}
    assert order_of(app, order.id).paid_fen == 1999


def test_sandbox_payments_are_closed_only_when_their_order_is_dead(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")

    assert _reconcile(app, PAY_AT + timedelta(minutes=6)) == {"checked": 1, "pending": 1}
    _expire(app, order.id)
    assert _reconcile(app, EXPIRED) == {"checked": 1, "closed": 1}
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.CLOSED
