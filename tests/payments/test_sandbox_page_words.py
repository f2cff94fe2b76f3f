"""The sandbox checkout page says why it cannot take a payment in words, never in enum values."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.orders.enums import OrderStatus
from groupbuy.payments.enums import PaymentStatus
from groupbuy.payments.sandbox_page import ORDER_WORDS, PAYMENT_WORDS
from tests.factories.market import Shop
from tests.payments.domain import PAY_AT, place_order, start


def test_a_failed_attempt_is_explained_in_words(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    payment = start(client, order, "sandbox")
    token = str(payment["code_url"]).rsplit("/", 1)[1]
    with clock.frozen(PAY_AT):
        client.post("/pay/sandbox/" + token, data={"result": "fail"})
        page = client.get("/pay/sandbox/" + token).get_data(as_text=True)
    assert "无法支付：这次支付没有成功" in page and "Cannot pay: this attempt failed" in page
    for value in [*PaymentStatus, *OrderStatus]:
        assert f"{value.value} /" not in page and f"（{value.value}" not in page
    assert "pending_payment" not in page


def test_every_status_has_words_in_both_languages() -> None:
    assert set(PAYMENT_WORDS) == set(PaymentStatus)
    assert set(ORDER_WORDS) == set(OrderStatus)
    assert all(zh and en for zh, en in [*PAYMENT_WORDS.values(), *ORDER_WORDS.values()])
