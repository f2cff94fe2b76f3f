"""POST /orders/{id}/payments, GET /payments/{id}, the QR images: owner only, payable orders only, one live
attempt per order and channel with a stable out_trade_no."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.payments.enums import PaymentStatus
from groupbuy.payments.models import Payment
from tests.factories.market import T0, Shop
from tests.fakes.alipay_server import FakeAlipay
from tests.fakes.http_server import Fault
from tests.fakes.wechatpay_server import FakeWeChatPay
from tests.payments.domain import PAY_AT, count, give_openid, pay_link, payment_of, place_order, start, storm
from tests.rows import ORDER_STATE, unchanged

Fakes = tuple[FakeWeChatPay, FakeAlipay]


def test_sandbox_link_points_at_our_checkout_page(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client, price_fen=1990)

    body = start(client, order, "sandbox")

    assert body["amount_fen"] == 1990 and body["status"] == "pending" and body["order_id"] == order.id
    assert body["code_url"].startswith("http://testserver/pay/sandbox/")
    assert body["qr_png_url"] == f"http://testserver/api/v1/payments/{body['payment_id']}/qr.png"
    assert body["qr_svg_url"] == f"http://testserver/api/v1/payments/{body['payment_id']}/qr.svg"
    assert body["expires_at"] == client.get(f"/api/v1/orders/{order.id}", headers=order.headers).json["pay_before"]
    assert body["jsapi_params"] is None
    assert payment_of(app, body["payment_id"]).out_trade_no == f"{order.order_no}S1"


def test_wechat_native_link_is_the_providers_code_url(shop: Shop, client: FlaskClient, payments_on: Fakes) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client, price_fen=1234)

    body = start(client, order, "wechat_native")

    trade = wechat.trades[f"{order.order_no}W1"]
    assert trade.amount_fen == 1234
    assert body["code_url"] == f"weixin://wxpay/bizpayurl?pr={trade.pay_ref}"
    assert wechat.calls_to("native")[0].body["time_expire"] == "2026-11-22T10:15:00+08:00"  # pay_before


def test_wechat_jsapi_returns_request_payment_params(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client)
    refused = pay_link(client, order, "wechat_jsapi")
    assert refused.status_code == 422 and refused.json["code"] == "wechat_login_required"
    give_openid(app, order.buyer)

    body = start(client, order, "wechat_jsapi")

    params = body["jsapi_params"]
    assert params["package"] == f"prepay_id=wx{wechat.trades[f'{order.order_no}J1'].pay_ref}"
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert body["code_url"] is None and body["qr_png_url"] is None
    assert wechat.calls_to("jsapi")[0].body["payer"] == {"openid": "o-shopper-openid-0001"}
    again = start(client, order, "wechat_jsapi")
    assert again["payment_id"] == body["payment_id"] and again["jsapi_params"]["package"] == params["package"]
    assert client.get(f"/api/v1/payments/{body['payment_id']}/qr.png", headers=order.headers).status_code == 404


def test_alipay_link_is_the_qr_code(shop: Shop, client: FlaskClient, payments_on: Fakes) -> None:
    _, alipay = payments_on
    order = place_order(shop, client, price_fen=1999)

    body = start(client, order, "alipay_qr")

    trade = alipay.trades[f"{order.order_no}A1"]
    assert (trade.amount_fen, body["code_url"]) == (1999, f"https://qr.alipay.com/bax0{trade.qr_ref}")


def test_the_live_payment_is_reused_per_channel(shop: Shop, client: FlaskClient, payments_on: Fakes) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client)

    first, second = start(client, order, "wechat_native"), start(client, order, "wechat_native")
    sandbox = start(client, order, "sandbox")

    assert first == second
    assert len(wechat.calls_to("native")) == 1  # the stored code_url is reused, no second trade
    assert sandbox["payment_id"] != first["payment_id"]


def test_a_failed_attempt_gets_a_new_stable_number(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    first = start(client, order, "sandbox")
    token = first["code_url"].rsplit("/", 1)[1]
    with clock.frozen(PAY_AT):
        assert client.post(f"/pay/sandbox/{token}", data={"result": "fail"}).status_code == 200
    assert payment_of(app, first["payment_id"]).status is PaymentStatus.FAILED

    second = start(client, order, "sandbox")

    assert second["payment_id"] != first["payment_id"]
    assert payment_of(app, first["payment_id"]).out_trade_no == f"{order.order_no}S1"
    assert payment_of(app, second["payment_id"]).out_trade_no == f"{order.order_no}S2"


def test_idempotency_key_replays_the_first_answer(shop: Shop, client: FlaskClient) -> None:
    order = place_order(shop, client)
    first = pay_link(client, order, "sandbox", **{"Idempotency-Key": "pay-1"})
    replay = pay_link(client, order, "sandbox", **{"Idempotency-Key": "pay-1"})
    with clock.frozen(PAY_AT):
        other_body = client.post(
            f"/api/v1/orders/{order.id}/payments",
            json={"channel": "wechat_native"},
            headers={**order.headers, "Idempotency-Key": "pay-1"},
        )

    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json == first.json
    assert other_body.status_code == 422


def test_other_users_orders_and_payments_are_404(shop: Shop, client: FlaskClient) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")
    stranger = shop.auth(shop.shopper())

    with clock.frozen(PAY_AT):
        created = client.post(f"/api/v1/orders/{order.id}/payments", json={"channel": "sandbox"}, headers=stranger)
    assert created.status_code == 404
    assert client.get(f"/api/v1/payments/{payment['payment_id']}", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/payments/{payment['payment_id']}/qr.svg", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/orders/{order.id}/payments", json={"channel": "sandbox"}).status_code == 401


@pytest.mark.parametrize("late", [timedelta(minutes=15), timedelta(hours=1)])
def test_past_pay_before_is_409(shop: Shop, client: FlaskClient, app: Flask, late: timedelta) -> None:
    order = place_order(shop, client)
    with clock.frozen(T0 + late), unchanged(app, *ORDER_STATE):
        response = client.post(
            f"/api/v1/orders/{order.id}/payments", json={"channel": "sandbox"}, headers=order.headers
        )
    assert response.status_code == 409 and response.json["code"] == "order_not_payable"


def test_cancelled_order_is_409(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    with clock.frozen(PAY_AT):
        assert client.post(f"/api/v1/orders/{order.id}/cancel", headers=order.headers).status_code == 200
    with unchanged(app, *ORDER_STATE):
        response = pay_link(client, order, "sandbox")
    assert response.status_code == 409 and response.json["code"] == "order_not_payable"


@pytest.mark.parametrize("channel", ["wechat_native", "wechat_jsapi", "alipay_qr"])
def test_channels_not_enabled_are_422(shop: Shop, client: FlaskClient, app: Flask, channel: str) -> None:
    order = place_order(shop, client)  # the test app enables only the sandbox (the default)
    with unchanged(app, *ORDER_STATE):
        response = pay_link(client, order, channel)
    assert response.status_code == 422 and response.json["code"] == "payment_channel_unavailable"


@pytest.mark.parametrize("body", [{"channel": "paypal"}, {}, {"channel": "sandbox", "amount_fen": 1}])
def test_bad_bodies_are_422(shop: Shop, client: FlaskClient, app: Flask, body: dict[str, object]) -> None:
    order = place_order(shop, client)
    with clock.frozen(PAY_AT), unchanged(app, *ORDER_STATE):
        response = client.post(f"/api/v1/orders/{order.id}/payments", json=body, headers=order.headers)
    assert response.status_code == 422


def test_provider_down_is_503_and_the_retry_reuses_the_number(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client)
    wechat.faults.add(Fault("error", endpoint="native", status=500, code="SYSTEM_ERROR"))

    down = pay_link(client, order, "wechat_native")
    retried = pay_link(client, order, "wechat_native")

    assert down.status_code == 503 and down.json["code"] == "payment_provider_unavailable"
    assert down.headers["Retry-After"] == "5"
    assert retried.status_code == 201
    numbers = [call.body["out_trade_no"] for call in wechat.calls_to("native")]
    assert numbers == [f"{order.order_no}W1"] * 2


def test_status_and_qr_images_for_the_owner(shop: Shop, client: FlaskClient) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")

    status = client.get(f"/api/v1/payments/{payment['payment_id']}", headers=order.headers)
    png = client.get(payment["qr_png_url"], headers=order.headers)
    svg = client.get(payment["qr_svg_url"], headers=order.headers)

    assert status.status_code == 200 and status.json["status"] == "pending" and status.json["paid_at"] is None
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert png.headers["Cache-Control"].startswith("private")  # someone's payment: no shared caches
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_requests_share_one_live_payment(
    shop: Shop, client: FlaskClient, app: Flask, busy_app: Flask, payments_on: Fakes, round_: int
) -> None:
    wechat, _ = payments_on
    order = place_order(shop, client)
    url = f"/api/v1/orders/{order.id}/payments"
    answers: list[int] = []

    def post(c: FlaskClient) -> object:
        response = c.post(url, json={"channel": "wechat_native"}, headers=order.headers)
        answers.append(response.json.get("payment_id", 0) if response.status_code == 201 else -response.status_code)
        return response

    with clock.frozen(PAY_AT):
        statuses = storm(busy_app, [post] * 8)

    assert statuses == [201] * 8 and len(set(answers)) == 1
    assert count(app, Payment, Payment.order_id == order.id) == 1
    assert {call.body["out_trade_no"] for call in wechat.calls_to("native")} == {f"{order.order_no}W1"}
