"""Payment providers: built at start for the enabled channels, looked up in the registry, missing settings refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask

from groupbuy.payments.providers import (
    AlipayProvider,
    PaymentChannel,
    ProviderName,
    ProviderNotConfigured,
    SandboxProvider,
    WeChatPayProvider,
    build_payment_providers,
    build_provider,
    provider_for,
    provider_named,
)
from groupbuy.settings import ConfigError, Settings, build_settings
from tests.payments.conftest import MCHID, PLATFORM_KEY_ID, alipay_config, wechat_config


def test_sandbox_is_the_development_default(app: Flask) -> None:
    assert Settings().payment_channels == ("sandbox",)
    with app.app_context():
        assert isinstance(provider_for("sandbox"), SandboxProvider)
        assert isinstance(provider_named(ProviderName.SANDBOX), SandboxProvider)
        with pytest.raises(ProviderNotConfigured):
            provider_for(PaymentChannel.WECHAT_NATIVE)


def test_sandbox_is_refused_in_production() -> None:
    with pytest.raises(ProviderNotConfigured):
        build_provider(
            "sandbox", build_settings({"ENV": "production", "PAYMENT_CHANNELS": "sandbox", "SECRET_KEY": "x" * 40})
        )


def test_configured_real_providers(key_files: dict[str, str]) -> None:
    config = wechat_config(key_files) | alipay_config(key_files)
    config["PAYMENT_CHANNELS"] = ["wechat_native", "wechat_jsapi", "alipay_qr"]

    providers = build_payment_providers(build_settings(config))
    assert set(providers) == {PaymentChannel.WECHAT_NATIVE, PaymentChannel.WECHAT_JSAPI, PaymentChannel.ALIPAY_QR}
    wechat = providers[PaymentChannel.WECHAT_JSAPI]
    assert providers[PaymentChannel.WECHAT_NATIVE] is wechat  # one provider serves both its channels
    assert isinstance(wechat, WeChatPayProvider)
    assert wechat.settings.mchid == MCHID
    assert set(wechat.settings.platform_keys) == {PLATFORM_KEY_ID}
    assert isinstance(providers[PaymentChannel.ALIPAY_QR], AlipayProvider)


def test_numeric_looking_env_values_are_read_as_text(key_files: dict[str, str]) -> None:
    """GROUPBUY_WECHATPAY_MCHID=1900000109 arrives as an int through Flask's from_prefixed_env."""
    config = wechat_config(key_files) | {"WECHATPAY_MCHID": int(MCHID)}
    provider = build_provider("wechat_native", build_settings(config))
    assert isinstance(provider, WeChatPayProvider)
    assert provider.settings.mchid == MCHID


@pytest.mark.parametrize(
    "change",
    [
        {"WECHATPAY_MCHID": ""},
        {"WECHATPAY_APIV3_KEY": "too-short"},
        {"WECHATPAY_MERCHANT_PRIVATE_KEY_FILE": "/nonexistent/merchant.key"},
        {"WECHATPAY_PLATFORM_PUBLIC_KEY_ID": ""},  # a bare public key needs its PUB_KEY_ID
    ],
)
def test_incomplete_wechat_settings_are_not_configured(key_files: dict[str, str], change: dict[str, str]) -> None:
    with pytest.raises(ProviderNotConfigured) as caught:
        build_provider("wechat_native", build_settings(wechat_config(key_files) | change))
    assert "TestOnlyApiV3Key" not in str(caught.value)  # messages name settings, never secret values


def test_a_small_or_non_rsa_key_is_refused(key_files: dict[str, str], tmp_path: Path) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    curve = ec.generate_private_key(ec.SECP256R1())
    for name, key in (("small.key", small), ("ec.key", curve)):
        path = tmp_path / name
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        with pytest.raises(ProviderNotConfigured):
            build_provider(
                "wechat_native",
                build_settings(wechat_config(key_files) | {"WECHATPAY_MERCHANT_PRIVATE_KEY_FILE": str(path)}),
            )


def test_unknown_channel_or_provider() -> None:
    with pytest.raises(ProviderNotConfigured):
        build_provider("paypal", build_settings({"PAYMENT_CHANNELS": "sandbox"}))
    with pytest.raises(ProviderNotConfigured):
        provider_for("paypal")
    with pytest.raises(ProviderNotConfigured):
        provider_named("paypal")


def test_an_unknown_channel_name_stops_the_start(key_files: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="GROUPBUY_PAYMENT_CHANNELS"):
        build_settings(wechat_config(key_files) | {"PAYMENT_CHANNELS": "wechat_native,bitcoin"})
