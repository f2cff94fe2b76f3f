"""Which provider serves a channel, and which merchant a genuine payment must name."""

from __future__ import annotations

from types import MappingProxyType

import structlog

from groupbuy.errors import Invalid
from groupbuy.payments.providers import (
    PaymentChannel,
    PaymentProvider,
    ProviderName,
    ProviderNotConfigured,
    provider_for,
)
from groupbuy.payments.providers.sandbox import SANDBOX_MERCHANT
from groupbuy.settings import settings

log = structlog.get_logger(__name__)

# One letter per channel in out_trade_no (order_no + letter + attempt number).
CHANNEL_CODES = MappingProxyType(
    {
        PaymentChannel.WECHAT_NATIVE: "W",
        PaymentChannel.WECHAT_JSAPI: "J",
        PaymentChannel.ALIPAY_QR: "A",
        PaymentChannel.UNIONPAY_QR: "U",
        PaymentChannel.UNIONPAY_H5: "H",
        PaymentChannel.SANDBOX: "S",
    }
)
# The last segment of /api/v1/payments/notify/<name>.
NOTIFY_PATHS = MappingProxyType(
    {
        "wechat": ProviderName.WECHATPAY,
        "alipay": ProviderName.ALIPAY,
        "unionpay": ProviderName.UNIONPAY,
        "sandbox": ProviderName.SANDBOX,
    }
)


def channel_provider(channel: PaymentChannel) -> PaymentProvider:
    """The provider serving an enabled, configured channel; otherwise 422 payment_channel_unavailable."""
    try:
        return provider_for(channel)
    except ProviderNotConfigured as exc:
        log.info("payment_channel_unavailable", channel=channel.value, why=str(exc)[:120])
        raise Invalid("payment_channel_unavailable", errors={"channel": [f"{channel.value} is not available"]}) from exc


def merchant_of(channel: PaymentChannel) -> tuple[str, str]:
    """(merchant id, app id) a notification for this channel must carry; an empty merchant id is not checked."""
    config = settings()
    if channel in (PaymentChannel.WECHAT_NATIVE, PaymentChannel.WECHAT_JSAPI):
        return config.wechatpay_mchid, config.wechatpay_appid
    if channel is PaymentChannel.ALIPAY_QR:
        return config.alipay_seller_id, config.alipay_app_id
    if channel in (PaymentChannel.UNIONPAY_QR, PaymentChannel.UNIONPAY_H5):
        return config.unionpay_mer_id, ""  # UnionPay has no app id
    return SANDBOX_MERCHANT, SANDBOX_MERCHANT
