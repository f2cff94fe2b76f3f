"""Payment providers: WeChat Pay API v3, Alipay (RSA2), UnionPay (全渠道 v5.1.0) and the sandbox, one protocol.

Usage by the payments domain::

    provider = provider_for(PaymentChannel.WECHAT_NATIVE, current_app.config)   # per call; keys are cached
    created = provider.create_payment(channel=..., out_trade_no=..., amount_fen=..., description=...,
                                      expires_at=..., payer_openid=...)
    event = provider_named(ProviderName.WECHATPAY, config).parse_notification(request.headers,
                                                                              request.get_data(), now=clock.now())

Configuration (Flask names, GROUPBUY_ prefix in the environment): PAYMENT_CHANNELS (comma-separated list of
enabled channels, default "sandbox"), WECHATPAY_*, ALIPAY_*, UNIONPAY_*, SANDBOX_SIGNING_KEY, HTTP_TIMEOUT_SECONDS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groupbuy.payments.providers.alipay import AlipayProvider, AlipaySettings
from groupbuy.payments.providers.alipay_notify import ALIPAY_NOTIFY_ACK
from groupbuy.payments.providers.base import (
    PROVIDER_OF_CHANNEL,
    CreatedPayment,
    ErrorCode,
    FrontForm,
    IgnoredEvent,
    InvalidNotification,
    JsapiParams,
    NotificationEvent,
    NotifyReply,
    PaymentChannel,
    PaymentFailed,
    PaymentProvider,
    PaymentSucceeded,
    ProviderError,
    ProviderName,
    ProviderNotConfigured,
    ProviderRefundStatus,
    ProviderTimeout,
    RefundFailed,
    RefundResult,
    RefundSucceeded,
    Rejection,
    TradeQuery,
    TradeStatus,
)
from groupbuy.payments.providers.sandbox import InvalidCheckoutToken, SandboxCheckout, SandboxProvider
from groupbuy.payments.providers.unionpay import UNIONPAY_NOTIFY_ACK, UnionPayProvider, UnionPaySettings
from groupbuy.payments.providers.wechatpay import WeChatPayProvider, WeChatPaySettings


def enabled_channels(config: Mapping[str, Any]) -> frozenset[PaymentChannel]:
    """PAYMENT_CHANNELS as channels (a comma-separated string or a list); unknown names are an error."""
    raw = config.get("PAYMENT_CHANNELS", "sandbox")
    names = raw.split(",") if isinstance(raw, str) else list(raw or ())
    try:
        channels = frozenset(PaymentChannel(str(name).strip()) for name in names if str(name).strip())
    except ValueError as exc:
        raise ProviderNotConfigured(f"PAYMENT_CHANNELS: {exc}") from exc
    if PaymentChannel.SANDBOX in channels and config.get("ENV") == "production":
        raise ProviderNotConfigured("the sandbox channel is refused in production")
    return channels


def provider_for(channel: PaymentChannel | str, config: Mapping[str, Any]) -> PaymentProvider:
    """The provider serving ``channel``; ProviderNotConfigured if the channel is disabled or not set up."""
    try:
        wanted = PaymentChannel(channel)
    except ValueError as exc:
        raise ProviderNotConfigured(f"unknown channel {channel!r}") from exc
    if wanted not in enabled_channels(config):
        raise ProviderNotConfigured(f"channel {wanted} is not enabled")
    return _build(PROVIDER_OF_CHANNEL[wanted], config)


def provider_named(name: ProviderName | str, config: Mapping[str, Any]) -> PaymentProvider:
    """The provider behind a notify endpoint; it must serve at least one enabled channel."""
    try:
        wanted = ProviderName(name)
    except ValueError as exc:
        raise ProviderNotConfigured(f"unknown provider {name!r}") from exc
    if not any(PROVIDER_OF_CHANNEL[channel] is wanted for channel in enabled_channels(config)):
        raise ProviderNotConfigured(f"no enabled channel uses {wanted}")
    return _build(wanted, config)


def _build(name: ProviderName, config: Mapping[str, Any]) -> PaymentProvider:
    if name is ProviderName.WECHATPAY:
        return WeChatPayProvider(WeChatPaySettings.from_config(config))
    if name is ProviderName.ALIPAY:
        return AlipayProvider(AlipaySettings.from_config(config))
    if name is ProviderName.UNIONPAY:
        return UnionPayProvider(UnionPaySettings.from_config(config))
    try:
        return SandboxProvider.from_config(config)
    except ValueError as exc:
        raise ProviderNotConfigured(f"sandbox: {exc}") from exc


__all__ = [
    "ALIPAY_NOTIFY_ACK",
    "UNIONPAY_NOTIFY_ACK",
    "AlipayProvider",
    "AlipaySettings",
    "CreatedPayment",
    "ErrorCode",
    "FrontForm",
    "IgnoredEvent",
    "InvalidCheckoutToken",
    "InvalidNotification",
    "JsapiParams",
    "NotificationEvent",
    "NotifyReply",
    "PaymentChannel",
    "PaymentFailed",
    "PaymentProvider",
    "PaymentSucceeded",
    "ProviderError",
    "ProviderName",
    "ProviderNotConfigured",
    "ProviderRefundStatus",
    "ProviderTimeout",
    "RefundFailed",
    "RefundResult",
    "RefundSucceeded",
    "Rejection",
    "SandboxCheckout",
    "SandboxProvider",
    "TradeQuery",
    "TradeStatus",
    "UnionPayProvider",
    "UnionPaySettings",
    "WeChatPayProvider",
    "WeChatPaySettings",
    "enabled_channels",
    "provider_for",
    "provider_named",
]
