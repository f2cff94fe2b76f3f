"""Payment configuration: secrets marked as such, the sandbox refused in production, settings that matter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock, create_app
from groupbuy.config import SECRET_KEYS, ConfigError
from groupbuy.payments import jobs
from groupbuy.payments.providers import PaymentChannel, build_payment_providers
from groupbuy.settings import build_settings
from tests.conftest import SANDBOX_SIGNING_KEY, SETTINGS_KEY, tune
from tests.factories.market import Shop
from tests.payments.domain import PAY_AT, pay_link, place_order, start

PRODUCTION = {
    "ENV": "production",
    "DATABASE_URL": "sqlite://",
    "SECRET_KEY": "x" * 40,
    "WECHAT_LOGIN_CLIENT": "http",
    "SMS_CHANNEL": "webhook",
    "EMAIL_CHANNEL": "smtp",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
}


@pytest.mark.parametrize("channels", [None, "sandbox", "wechat_native, sandbox", ["alipay_qr", "sandbox"]])
def test_production_refuses_the_sandbox(channels: object) -> None:
    settings = dict(PRODUCTION) if channels is None else {**PRODUCTION, "PAYMENT_CHANNELS": channels}
    with pytest.raises(ConfigError, match="PAYMENT_CHANNELS"):
        create_app(settings)


@pytest.mark.usefixtures("own_limiter")
def test_production_starts_with_real_channels_only() -> None:
    app = create_app({**PRODUCTION, "PAYMENT_CHANNELS": "wechat_native,wechat_jsapi,alipay_qr"})
    assert app.extensions[SETTINGS_KEY].env == "production"


def test_payment_secrets_are_secret_keys() -> None:
    assert {"WECHATPAY_APIV3_KEY", "SANDBOX_SIGNING_KEY", "ALIPAY_PRIVATE_KEY_FILE"} <= SECRET_KEYS
    assert "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE" in SECRET_KEYS


def test_an_enabled_channel_without_settings_is_unavailable(shop: Shop, client: FlaskClient, app: Flask) -> None:
    enabled = {"PAYMENT_CHANNELS": "sandbox,wechat_native", "SANDBOX_SIGNING_KEY": SANDBOX_SIGNING_KEY}
    assert set(build_payment_providers(build_settings(enabled))) == {
        PaymentChannel.SANDBOX
    }  # wechat_native: no merchant keys
    order = place_order(shop, client)
    response = pay_link(client, order, "wechat_native")
    assert response.status_code == 422 and response.json["code"] == "payment_channel_unavailable"
    assert response.json["errors"] == {"channel": ["wechat_native 暂不可用"]}


def test_reconcile_waits_the_configured_minutes(shop: Shop, client: FlaskClient, app: Flask) -> None:
    tune(app, payment_reconcile_after_minutes=10)
    order = place_order(shop, client)
    start(client, order, "sandbox")
    with app.app_context(), clock.frozen(PAY_AT + timedelta(minutes=9)):
        assert jobs.reconcile_payments(PAY_AT + timedelta(minutes=9)) == {"checked": 0}
        assert jobs.reconcile_payments(PAY_AT + timedelta(minutes=10)) == {"checked": 1, "pending": 1}
