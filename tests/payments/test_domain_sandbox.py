"""The sandbox end to end over HTTP: order → payment link → QR → checkout page → pay → order paid.

Paying goes through the signed-notification pipeline (the same service as /notify/sandbox), not a flag flip.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus
from groupbuy.payments.models import PaymentCallback, ProcessedPaymentEvent
from groupbuy.payments.providers import PAYMENT_PROVIDERS, PaymentChannel, SandboxProvider, TradeStatus, provider_for
from groupbuy.payments.service import callbacks
from tests.conftest import swap
from tests.factories.market import Shop
from tests.payments.domain import NOTIFY_AT, PAY_AT, count, pay_events, payment_of, place_order, start
from tests.rows import ORDER_STATE, unchanged


def _token(payment: dict[str, object]) -> str:
    return str(payment["code_url"]).rsplit("/", 1)[1]


def test_sandbox_flow_end_to_end(shop: Shop, client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    order = place_order(shop, client, price_fen=1990, quantity=2)
    payment = start(client, order, "sandbox")
    assert payment["amount_fen"] == 3980
    png = client.get(payment["qr_png_url"], headers=order.headers)
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    path = "/pay/sandbox/" + _token(payment)

    page = client.get(path)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "¥39.80" in html and order.order_no in html
    assert 'name="result" value="success"' in html and 'name="result" value="fail"' in html
    assert "<link" not in html and "<script" not in html and 'name="viewport"' in html

    pipeline = []
    real = callbacks.handle_callback
    monkeypatch.setattr(
        "groupbuy.payments.service.sandbox.handle_callback",
        lambda **kw: pipeline.append(kw["provider"]) or real(**kw),
    )
    with clock.frozen(NOTIFY_AT):
        paid_page = client.post(path, data={"result": "success"})

    assert paid_page.status_code == 200 and "支付成功" in paid_page.get_data(as_text=True)
    assert pipeline == ["sandbox"]  # the signed notification went through the notify pipeline
    body = client.get(f"/api/v1/orders/{order.id}", headers=order.headers).json
    assert body["status"] == "paid" and body["paid_fen"] == 3980
    assert re.fullmatch(r"\d{8}", body["pickup_code"])
    status = client.get(f"/api/v1/payments/{payment['payment_id']}", headers=order.headers).json
    assert status["status"] == "paid" and status["paid_at"] is not None
    with app.app_context():
        assert count(app, PaymentCallback, PaymentCallback.outcome == CallbackOutcome.APPLIED) == 1
        assert count(app, ProcessedPaymentEvent) == 1
    with clock.frozen(NOTIFY_AT):
        again = client.post(path, data={"result": "success"})  # a second press changes nothing
    assert again.status_code == 200 and pay_events(app, order.id) == 1


def test_the_notify_endpoint_accepts_signed_sandbox_notifications_only(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    order = place_order(shop, client, price_fen=500)
    payment = start(client, order, "sandbox")
    trade = payment_of(app, payment["payment_id"]).out_trade_no
    with app.app_context():
        sandbox = provider_for(PaymentChannel.SANDBOX)
    headers, body = sandbox.build_callback(trade, 500, TradeStatus.SUCCESS, NOTIFY_AT)
    with clock.frozen(NOTIFY_AT):
        forged = client.post("/api/v1/payments/notify/sandbox", data=body.replace(b"500", b"501"), headers=headers)
        genuine = client.post("/api/v1/payments/notify/sandbox", data=body, headers=headers)
    assert forged.status_code == 401 and forged.json["code"] == "FAIL"
    assert genuine.status_code == 204
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.PAID


def test_fail_button_fails_the_attempt(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")
    with clock.frozen(PAY_AT):
        page = client.post("/pay/sandbox/" + _token(payment), data={"result": "fail"})
    assert page.status_code == 200 and "无法支付" in page.get_data(as_text=True)
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.FAILED
    assert client.get(f"/api/v1/orders/{order.id}", headers=order.headers).json["status"] == "pending_payment"


@pytest.mark.parametrize("result", ["", "maybe", "SUCCESS"])
def test_result_must_be_success_or_fail(shop: Shop, client: FlaskClient, app: Flask, result: str) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")
    with unchanged(app, *ORDER_STATE):
        assert client.post("/pay/sandbox/" + _token(payment), data={"result": result}).status_code == 400


def test_forged_tokens_get_the_404_page(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")
    token = _token(payment)
    other_key = SandboxProvider(signing_key=b"another-sandbox-key-0123456789", public_base_url="http://testserver")
    foreign = other_key.create_payment(
        channel=PaymentChannel.SANDBOX,
        out_trade_no=payment_of(app, payment["payment_id"]).out_trade_no,
        amount_fen=1,
        description="x",
        expires_at=PAY_AT,
    ).code_url
    assert foreign is not None

    for bad in (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "nonsense", foreign.rsplit("/", 1)[1]):
        for response in (
            client.get(f"/pay/sandbox/{bad}"),
            client.post(f"/pay/sandbox/{bad}", data={"result": "success"}),
        ):
            assert response.status_code == 404 and response.mimetype == "text/html"
            assert "未找到" in response.get_data(as_text=True)
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.PENDING


def test_the_page_is_gone_when_the_sandbox_is_off(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")
    swap(app, PAYMENT_PROVIDERS, None, "sandbox")
    assert client.get("/pay/sandbox/" + _token(payment)).status_code == 404
