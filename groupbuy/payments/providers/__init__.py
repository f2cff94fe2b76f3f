"""Payment providers: WeChat Pay API v3, Alipay (RSA2), UnionPay (全渠道 v5.1.0) and the sandbox, one protocol.

Built once at start (``build_payment_providers``, called by groupbuy/implementations.py) into the registry's
``PAYMENT_PROVIDERS`` slot, one entry per enabled and configured channel; the payments domain looks them up::

    provider = provider_for(PaymentChannel.WECHAT_NATIVE)
    created = provider.create_payment(channel=..., out_trade_no=..., amount_fen=..., description=...,
                                      expires_at=..., payer_openid=...)
    event = provider_named(ProviderName.WECHATPAY).parse_callback(request.headers,
                                                                  request.get_data(), now=clock.now())

Settings (GROUPBUY_ prefix in the environment): PAYMENT_CHANNELS (the enabled channels, default "sandbox"),
WECHATPAY_*, ALIPAY_*, UNIONPAY_*, SANDBOX_SIGNING_KEY, HTTP_TIMEOUT_SECONDS. Tests install fakes or providers
pointed at fake servers with ``registry().install(PAYMENT_PROVIDERS, provider, channel)``.
"""

from __future__ import annotations

import structlog

from groupbuy.payments.providers.alipay import AlipayProvider, AlipaySettings
from groupbuy.payments.providers.alipay_notify import ALIPAY_NOTIFY_ACK
from groupbuy.payments.providers.base import (
    PROVIDER_OF_CHANNEL,
    CallbackEvent,
    CreatedPayment,
    ErrorCode,
    FrontForm,
    IgnoredEvent,
    InvalidCallback,
    JsapiParams,
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
from groupbuy.registry import Slot, registry
from groupbuy.settings import Settings

log = structlog.get_logger(__name__)

# Keyed by channel ("wechat_native" …): an entry means the channel is enabled and its provider ready.
PAYMENT_PROVIDERS: Slot[PaymentProvider] = Slot("payment_providers")


def enabled_channels(settings: Settings) -> frozenset[PaymentChannel]:
    """GROUPBUY_PAYMENT_CHANNELS as channels (its names are checked at start); no sandbox in production."""
    channels = frozenset(PaymentChannel(name) for name in settings.payment_channels)
    if PaymentChannel.SANDBOX in channels and settings.env == "production":
        raise ProviderNotConfigured("the sandbox channel is refused in production")
    return channels


def build_provider(channel: PaymentChannel | str, settings: Settings) -> PaymentProvider:
    """The provider serving ``channel`` built from settings by name; ProviderNotConfigured if disabled or not set up."""
    try:
        wanted = PaymentChannel(channel)
    except ValueError as exc:
        raise ProviderNotConfigured(f"unknown channel {channel!r}") from exc
    if wanted not in enabled_channels(settings):
        raise ProviderNotConfigured(f"channel {wanted} is not enabled")
    return _build(PROVIDER_OF_CHANNEL[wanted], settings)


def build_payment_providers(settings: Settings) -> dict[PaymentChannel, PaymentProvider]:
    """One provider per enabled channel (channels of one provider share it). A provider that cannot be built is
    left out and logged: its channels answer 422 payment_channel_unavailable, as an unconfigured channel always has
    (production refuses to start without UnionPay's settings; see groupbuy/config.py)."""
    built: dict[ProviderName, PaymentProvider | None] = {}
    providers: dict[PaymentChannel, PaymentProvider] = {}
    for channel in sorted(enabled_channels(settings)):
        name = PROVIDER_OF_CHANNEL[channel]
        if name not in built:
            try:
                built[name] = _build(name, settings)
            except ProviderNotConfigured as exc:
                log.warning("payment_provider_not_configured", provider=name.value, why=str(exc)[:200])
                built[name] = None
        provider = built[name]
        if provider is not None:
            providers[channel] = provider
    return providers


def provider_for(channel: PaymentChannel | str) -> PaymentProvider:
    """The installed provider serving ``channel``; ProviderNotConfigured if the channel is disabled or not set up."""
    try:
        wanted = PaymentChannel(channel)
    except ValueError as exc:
        raise ProviderNotConfigured(f"unknown channel {channel!r}") from exc
    provider = registry().find(PAYMENT_PROVIDERS, wanted.value)
    if provider is None:
        raise ProviderNotConfigured(f"channel {wanted} is not enabled or not configured")
    return provider


def provider_named(name: ProviderName | str) -> PaymentProvider:
    """The provider behind a notify endpoint; it must serve at least one enabled channel."""
    try:
        wanted = ProviderName(name)
    except ValueError as exc:
        raise ProviderNotConfigured(f"unknown provider {name!r}") from exc
    installed = registry()
    for key in installed.keys(PAYMENT_PROVIDERS):
        provider = installed.find(PAYMENT_PROVIDERS, key)
        if provider is not None and PROVIDER_OF_CHANNEL[PaymentChannel(key)] is wanted:
            return provider
    raise ProviderNotConfigured(f"no enabled channel uses {wanted}")


def _build(name: ProviderName, settings: Settings) -> PaymentProvider:
    if name is ProviderName.WECHATPAY:
        return WeChatPayProvider(WeChatPaySettings.from_settings(settings))
    if name is ProviderName.ALIPAY:
        return AlipayProvider(AlipaySettings.from_settings(settings))
    if name is ProviderName.UNIONPAY:
        return UnionPayProvider(UnionPaySettings.from_settings(settings))
    try:
        return SandboxProvider.from_settings(settings)
    except ValueError as exc:
        raise ProviderNotConfigured(f"sandbox: {exc}") from exc


__all__ = [
    "ALIPAY_NOTIFY_ACK",
    "PAYMENT_PROVIDERS",
    "UNIONPAY_NOTIFY_ACK",
    "AlipayProvider",
    "AlipaySettings",
    "CallbackEvent",
    "CreatedPayment",
    "ErrorCode",
    "FrontForm",
    "IgnoredEvent",
    "InvalidCallback",
    "InvalidCheckoutToken",
    "JsapiParams",
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
    "build_payment_providers",
    "build_provider",
    "enabled_channels",
    "provider_for",
    "provider_named",
]
