"""A cheap look at a notification before anything is stored: size, the provider's envelope, its signature headers.

No cryptography here: this only keeps junk (wrong shape, oversized, unsigned) out of ``payment_notifications``.
Everything that passes is stored raw and then verified for real by the provider's ``parse_callback``.
A provider without an entry in ``SHAPES`` gets the size check only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from groupbuy.payments.providers.alipay_notify import read_form
from groupbuy.payments.providers.base import (
    HeaderSource,
    InvalidCallback,
    ProviderName,
    Rejection,
    lower_headers,
)
from groupbuy.payments.providers.sandbox import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER

ShapeCheck = Callable[[Mapping[str, str], bytes], None]

# WeChat Pay API v3: https://pay.weixin.qq.com/doc/v3/merchant/4012791861 (callback envelope and headers).
_WECHAT_KEYS = ("id", "create_time", "event_type", "resource_type", "resource")
_WECHAT_RESOURCE_KEYS = ("algorithm", "ciphertext", "nonce")
_WECHAT_HEADERS = ("wechatpay-signature", "wechatpay-timestamp", "wechatpay-nonce", "wechatpay-serial")
# Alipay asynchronous notification (form POST): the fields every trade / refund notification carries.
_ALIPAY_FIELDS = ("notify_id", "out_trade_no")
_ALIPAY_SIGN_FIELDS = ("sign", "sign_type")
# UnionPay 全渠道 backUrl notification (form POST): the trade's order id and type, signed with the signer's certificate.
_UNIONPAY_FIELDS = ("orderId", "txnType", "merId")
_UNIONPAY_SIGN_FIELDS = ("signature", "signPubKeyCert")
_SANDBOX_KEYS = ("id", "event_type", "out_trade_no")
_SANDBOX_HEADERS = tuple(h.lower() for h in (SIGNATURE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER))


def check_shape(provider: ProviderName, headers: HeaderSource, body: bytes, *, max_bytes: int) -> None:
    """InvalidCallback unless ``body`` is small enough and looks like ``provider``'s notification."""
    if not body or len(body) > max_bytes:
        raise InvalidCallback(Rejection.TOO_LARGE if body else Rejection.MALFORMED, "size")
    check = SHAPES.get(provider)
    if check is not None:
        check(lower_headers(headers), body)


def _json_object(body: bytes, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidCallback(Rejection.MALFORMED, "not JSON") from exc
    if not isinstance(data, dict) or not _has_text(data, keys):
        raise InvalidCallback(Rejection.MALFORMED, "envelope")
    return data


def _has_text(data: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    return all(isinstance(data.get(key), str) and data[key] for key in keys)


def _require_headers(headers: Mapping[str, str], names: tuple[str, ...]) -> None:
    if not all(headers.get(name) for name in names):
        raise InvalidCallback(Rejection.MISSING_SIGNATURE)


def _wechat(headers: Mapping[str, str], body: bytes) -> None:
    data = _json_object(body, tuple(k for k in _WECHAT_KEYS if k != "resource"))
    resource = data.get("resource")
    if not isinstance(resource, dict) or not _has_text(resource, _WECHAT_RESOURCE_KEYS):
        raise InvalidCallback(Rejection.MALFORMED, "resource")
    _require_headers(headers, _WECHAT_HEADERS)


def _alipay(_headers: Mapping[str, str], body: bytes) -> None:
    fields = read_form(body)  # a plain UTF-8 form of at most 100 fields, or InvalidCallback
    if not _has_text(fields, _ALIPAY_FIELDS):
        raise InvalidCallback(Rejection.MALFORMED, "fields")
    if not _has_text(fields, _ALIPAY_SIGN_FIELDS):
        raise InvalidCallback(Rejection.MISSING_SIGNATURE)


def _unionpay(_headers: Mapping[str, str], body: bytes) -> None:
    fields = read_form(body)
    if not _has_text(fields, _UNIONPAY_FIELDS):
        raise InvalidCallback(Rejection.MALFORMED, "fields")
    if not _has_text(fields, _UNIONPAY_SIGN_FIELDS):
        raise InvalidCallback(Rejection.MISSING_SIGNATURE)


def _sandbox(headers: Mapping[str, str], body: bytes) -> None:
    _json_object(body, _SANDBOX_KEYS)
    _require_headers(headers, _SANDBOX_HEADERS)


SHAPES: Mapping[ProviderName, ShapeCheck] = MappingProxyType(
    {
        ProviderName.WECHATPAY: _wechat,
        ProviderName.ALIPAY: _alipay,
        ProviderName.UNIONPAY: _unionpay,
        ProviderName.SANDBOX: _sandbox,
    }
)
