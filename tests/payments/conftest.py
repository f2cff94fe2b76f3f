"""Fake WeChat Pay / Alipay servers on 127.0.0.1 with throwaway keys, and providers pointed at them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from groupbuy.payments.providers import (
    PAYMENT_PROVIDERS,
    AlipayProvider,
    AlipaySettings,
    UnionPayProvider,
    UnionPaySettings,
    WeChatPayProvider,
    WeChatPaySettings,
    build_payment_providers,
)
from groupbuy.settings import build_settings
from tests.conftest import second_app, swap, tune
from tests.fakes import alipay_server, unionpay_server, wechatpay_server
from tests.fakes.alipay_server import FakeAlipay
from tests.fakes.http_server import serving
from tests.fakes.payment_keys import certificate_pem, private_pem, public_pem, throwaway_key, write
from tests.fakes.unionpay_pki import MERCHANT_CERT_SERIAL, MERCHANT_PFX_PASSWORD, unionpay_pki, write_unionpay_files
from tests.fakes.unionpay_server import FakeUnionPay
from tests.fakes.wechatpay_server import FakeWeChatPay
from tests.payments.domain import ALL_CHANNELS, SELLER_ID

REAL_CHANNELS = ALL_CHANNELS.replace("sandbox,", "")  # the sandbox is installed at start already

MCHID = "1900000109"
APPID = "wx8888888888888888"
APIV3_KEY = b"TestOnlyApiV3Key0123456789abcdef"  # 32 bytes, tests only
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PLATFORM_KEY_ID = "PUB_KEY_ID_0119000001092026112200000000"
ALIPAY_APP_ID = "2021000000000001"
NOTIFY_URL = "https://shop.example.com/api/v1/payments/notify/wechat"
ALIPAY_NOTIFY_URL = "https://shop.example.com/api/v1/payments/notify/alipay"
UNIONPAY_MER_ID = "777290058110097"
UNIONPAY_NOTIFY_URL = "https://shop.example.com/api/v1/payments/notify/unionpay"
UNIONPAY_FRONT_URL = "https://shop.example.com/pay/unionpay/return"
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


@pytest.fixture(scope="session")
def unionpay_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The merchant's .pfx and UnionPay's root and intermediate, made for this session."""
    return write_unionpay_files(tmp_path_factory.mktemp("unionpay-certs"))


def unionpay_config(files: dict[str, str], gateway: str = "https://gateway.95516.com") -> dict[str, Any]:
    return {
        "PAYMENT_CHANNELS": "unionpay_qr,unionpay_h5",
        "UNIONPAY_MER_ID": UNIONPAY_MER_ID,
        "UNIONPAY_SIGN_CERT_FILE": files["unionpay_pfx"],
        "UNIONPAY_SIGN_CERT_PASSWORD": MERCHANT_PFX_PASSWORD,
        "UNIONPAY_ROOT_CERT_FILE": files["unionpay_root"],
        "UNIONPAY_MIDDLE_CERT_FILE": files["unionpay_middle"],
        "UNIONPAY_NOTIFY_URL": UNIONPAY_NOTIFY_URL,
        "UNIONPAY_FRONT_URL": UNIONPAY_FRONT_URL,
        "UNIONPAY_GATEWAY": gateway,
        "HTTP_TIMEOUT_SECONDS": 2.0,
    }


@pytest.fixture
def unionpay_fake() -> Iterator[FakeUnionPay]:
    pki = unionpay_pki()
    fake = FakeUnionPay(
        mer_id=UNIONPAY_MER_ID,
        merchant_public_key=pki.merchant_key.public_key(),
        merchant_cert_id=str(MERCHANT_CERT_SERIAL),
        signer=pki.signer,
    )
    with serving(fake) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.release()


@pytest.fixture
def unionpay_settings(unionpay_fake: FakeUnionPay, unionpay_files: dict[str, str]) -> UnionPaySettings:
    return UnionPaySettings.from_settings(build_settings(unionpay_config(unionpay_files, unionpay_fake.url)))


@pytest.fixture
def unionpay(unionpay_settings: UnionPaySettings) -> UnionPayProvider:
    return UnionPayProvider(unionpay_settings)


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
    return WeChatPaySettings.from_settings(build_settings(wechat_config(key_files, wechat_fake.url)))


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
    return AlipaySettings.from_settings(build_settings(alipay_config(key_files, alipay_fake.url)))


@pytest.fixture
def alipay(alipay_settings: AlipaySettings) -> AlipayProvider:
    return AlipayProvider(alipay_settings)


# -- the payments domain: every channel on, WeChat Pay and Alipay pointed at the fakes -----------------------------


def install_providers(app: Any, config: dict[str, Any]) -> None:
    """The providers of ``config``'s PAYMENT_CHANNELS, built as at start, installed in this app's registry; the
    merchant we are (the ids a genuine notification must name) set to match."""
    for channel, provider in build_payment_providers(build_settings(config)).items():
        swap(app, PAYMENT_PROVIDERS, provider, channel.value)
    ours = {"WECHATPAY_MCHID", "WECHATPAY_APPID", "ALIPAY_APP_ID", "ALIPAY_SELLER_ID", "UNIONPAY_MER_ID"}
    tune(app, **{key.lower(): value for key, value in config.items() if key in ours})


def configure_payments(
    app: Any, key_files: dict[str, str], wechat_url: str, alipay_url: str, timeout: float = 0.3
) -> None:
    """All four channels on this app, real providers pointed at the fake servers, short outbound timeouts (a
    timeout fault holds its answer until the client gives up, so the short wait keeps those tests quick)."""
    config = wechat_config(key_files, wechat_url) | alipay_config(key_files, alipay_url)
    ours = {"PAYMENT_CHANNELS": REAL_CHANNELS, "ALIPAY_SELLER_ID": SELLER_ID, "HTTP_TIMEOUT_SECONDS": timeout}
    install_providers(app, config | ours)


@pytest.fixture
def payments_on(
    app: Any, key_files: dict[str, str], wechat_fake: FakeWeChatPay, alipay_fake: FakeAlipay
) -> tuple[FakeWeChatPay, FakeAlipay]:
    configure_payments(app, key_files, wechat_fake.url, alipay_fake.url)
    return wechat_fake, alipay_fake


@pytest.fixture
def busy_app(
    database_url: str, key_files: dict[str, str], payments_on: tuple[FakeWeChatPay, FakeAlipay]
) -> Iterator[Flask]:
    """A second app on the same database, with every thread its own connection, and payments configured.

    Its outbound calls wait 5 s, not 0.3 s: its storms inject no faults, and on a loaded CI host eight threads
    sharing one interpreter with the fake server took 0.9 s to be answered, which read as the provider timing out."""
    wechat, alipay = payments_on
    with second_app(database_url, PUBLIC_BASE_URL="http://testserver", DB_POOL_SIZE=20) as busy:
        configure_payments(busy, key_files, wechat.url, alipay.url, timeout=5.0)
        yield busy


def configure_unionpay(app: Any, files: dict[str, str], gateway: str, timeout: float = 0.3) -> None:
    """UnionPay's channels on as well, UnionPay pointed at its fake."""
    install_providers(app, unionpay_config(files, gateway) | {"HTTP_TIMEOUT_SECONDS": timeout})


@pytest.fixture
def unionpay_on(
    app: Any, payments_on: tuple[FakeWeChatPay, FakeAlipay], unionpay_files: dict[str, str], unionpay_fake: FakeUnionPay
) -> FakeUnionPay:
    configure_unionpay(app, unionpay_files, unionpay_fake.url)
    return unionpay_fake


@pytest.fixture
def unionpay_busy_app(busy_app: Flask, unionpay_on: FakeUnionPay, unionpay_files: dict[str, str]) -> Flask:
    """``busy_app`` with UnionPay on as well."""
    configure_unionpay(busy_app, unionpay_files, unionpay_on.url, timeout=5.0)
    return busy_app


class _PhoneSafeSecrets:
    """``secrets`` for the fakes, with hex references free of the digit 1: a random `…a13812345678b…` in a
    code_url would otherwise trip the suite's raw-mobile scanner (1[3-9] and 9 more digits) once in a while."""

    def __getattr__(self, name: str) -> Any:
        return getattr(secrets, name)

    @staticmethod
    def token_hex(nbytes: int | None = None) -> str:
        return secrets.token_hex(nbytes).replace("1", "f")


@pytest.fixture(autouse=True)
def _phone_safe_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake trade references (code_url, prepay_id, qr_code) and JSAPI nonces reach our responses verbatim."""
    monkeypatch.setattr(wechatpay_server, "secrets", _PhoneSafeSecrets())
    monkeypatch.setattr(alipay_server, "secrets", _PhoneSafeSecrets())
    monkeypatch.setattr(unionpay_server, "secrets", _PhoneSafeSecrets())
    monkeypatch.setattr(
        "groupbuy.payments.providers.wechatpay.new_nonce", lambda: secrets.token_hex(16).upper().replace("1", "F")
    )
