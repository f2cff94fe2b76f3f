"""Fake WeChat Pay / Alipay servers on 127.0.0.1 with throwaway keys, and providers pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from groupbuy.payments.providers import AlipayProvider, AlipaySettings, WeChatPayProvider, WeChatPaySettings
from tests.fakes.alipay_server import FakeAlipay
from tests.fakes.http_server import serving
from tests.fakes.payment_keys import certificate_pem, private_pem, public_pem, throwaway_key, write
from tests.fakes.wechatpay_server import FakeWeChatPay

MCHID = "1900000109"
APPID = "wx8888888888888888"
APIV3_KEY = b"TestOnlyApiV3Key0123456789abcdef"  # 32 bytes, tests only
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PLATFORM_KEY_ID = "PUB_KEY_ID_0119000001092026112200000000"
ALIPAY_APP_ID = "2021000000000001"
NOTIFY_URL = "https://shop.example.com/api/v1/payments/notify/wechat"
ALIPAY_NOTIFY_URL = "https://shop.example.com/api/v1/payments/notify/alipay"
T0 = datetime(2026, 11, 22, 4, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """PEM files for every test key (written once per session)."""
    directory: Path = tmp_path_factory.mktemp("payment-keys")
    return {
        "merchant_private": write(directory, "merchant.key", private_pem(throwaway_key("merchant"))),
        "platform_public": write(directory, "platform.pub", public_pem(throwaway_key("wechat-platform"))),
        "platform_certificate": write(
            directory, "platform.crt", certificate_pem(throwaway_key("wechat-platform"), 0x3A1B2C3D4E5F)
        ),
        "alipay_app_private": write(directory, "alipay-app.key", private_pem(throwaway_key("alipay-app"))),
        "alipay_public": write(directory, "alipay.pub", public_pem(throwaway_key("alipay"))),
    }


def wechat_config(key_files: dict[str, str], api_base: str = "https://api.mch.weixin.qq.com") -> dict[str, Any]:
    """Flask-style settings (names without GROUPBUY_) for the WeChat Pay provider."""
    return {
        "PAYMENT_CHANNELS": "wechat_native,wechat_jsapi",
        "WECHATPAY_MCHID": MCHID,
        "WECHATPAY_APPID": APPID,
        "WECHATPAY_APIV3_KEY": APIV3_KEY.decode(),
        "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE": key_files["merchant_private"],
        "WECHATPAY_MERCHANT_SERIAL_NO": MERCHANT_SERIAL,
        "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE": key_files["platform_public"],
        "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": PLATFORM_KEY_ID,
        "WECHATPAY_NOTIFY_URL": NOTIFY_URL,
        "WECHATPAY_API_BASE": api_base,
        "HTTP_TIMEOUT_SECONDS": 2.0,
    }


def alipay_config(key_files: dict[str, str], gateway: str = "https://openapi.alipay.com/gateway.do") -> dict[str, Any]:
    return {
        "PAYMENT_CHANNELS": "alipay_qr",
        "ALIPAY_APP_ID": ALIPAY_APP_ID,
        "ALIPAY_PRIVATE_KEY_FILE": key_files["alipay_app_private"],
        "ALIPAY_PUBLIC_KEY_FILE": key_files["alipay_public"],
        "ALIPAY_NOTIFY_URL": ALIPAY_NOTIFY_URL,
        "ALIPAY_GATEWAY": gateway,
        "HTTP_TIMEOUT_SECONDS": 2.0,
    }


@pytest.fixture
def wechat_fake() -> Iterator[FakeWeChatPay]:
    fake = FakeWeChatPay(
        mchid=MCHID,
        appid=APPID,
        apiv3_key=APIV3_KEY,
        merchant_public_key=throwaway_key("merchant").public_key(),
        merchant_serial_no=MERCHANT_SERIAL,
        platform_key=throwaway_key("wechat-platform"),
        platform_key_id=PLATFORM_KEY_ID,
    )
    with serving(fake) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.release()


@pytest.fixture
def wechat_settings(wechat_fake: FakeWeChatPay, key_files: dict[str, str]) -> WeChatPaySettings:
    return WeChatPaySettings.from_config(wechat_config(key_files, wechat_fake.url))


@pytest.fixture
def wechat(wechat_settings: WeChatPaySettings) -> WeChatPayProvider:
    return WeChatPayProvider(wechat_settings)


@pytest.fixture
def alipay_fake() -> Iterator[FakeAlipay]:
    fake = FakeAlipay(
        app_id=ALIPAY_APP_ID,
        app_public_key=throwaway_key("alipay-app").public_key(),
        alipay_key=throwaway_key("alipay"),
    )
    with serving(fake) as url:
        fake.url = url + "/gateway.do"
        try:
            yield fake
        finally:
            fake.release()


@pytest.fixture
def alipay_settings(alipay_fake: FakeAlipay, key_files: dict[str, str]) -> AlipaySettings:
    return AlipaySettings.from_config(alipay_config(key_files, alipay_fake.url))


@pytest.fixture
def alipay(alipay_settings: AlipaySettings) -> AlipayProvider:
    return AlipayProvider(alipay_settings)
