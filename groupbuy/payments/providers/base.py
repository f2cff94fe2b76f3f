"""The provider interface the payments domain builds on: typed results, typed events, typed errors.

Pure library code: no database, no Flask. Every amount is integer fen. Every outbound call has a
timeout and ends in a result or a ``ProviderError`` (``ProviderTimeout`` when the outcome is unknown).
``parse_callback`` verifies before it decodes and raises only ``InvalidCallback``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Protocol

# WeChat Pay, Alipay and UnionPay all speak Beijing time (no DST).
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
NOTIFY_WINDOW = timedelta(minutes=5)
MAX_NOTIFY_BYTES = 64 * 1024

_OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
_OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
_DIGITS = re.compile(r"^[0-9]{1,12}$")


class PaymentChannel(StrEnum):
    """What the shopper chose (API.md `channel`)."""

    WECHAT_NATIVE = "wechat_native"
    WECHAT_JSAPI = "wechat_jsapi"
    ALIPAY_QR = "alipay_qr"
    UNIONPAY_QR = "unionpay_qr"
    UNIONPAY_H5 = "unionpay_h5"  # the mini-app's web-view posts a signed form to UnionPay's payment page
    SANDBOX = "sandbox"


class ProviderName(StrEnum):
    """Who takes the money; one notify endpoint each."""

    WECHATPAY = "wechatpay"
    ALIPAY = "alipay"
    UNIONPAY = "unionpay"
    SANDBOX = "sandbox"


PROVIDER_OF_CHANNEL: Mapping[PaymentChannel, ProviderName] = {
    PaymentChannel.WECHAT_NATIVE: ProviderName.WECHATPAY,
    PaymentChannel.WECHAT_JSAPI: ProviderName.WECHATPAY,
    PaymentChannel.ALIPAY_QR: ProviderName.ALIPAY,
    PaymentChannel.UNIONPAY_QR: ProviderName.UNIONPAY,
    PaymentChannel.UNIONPAY_H5: ProviderName.UNIONPAY,
    PaymentChannel.SANDBOX: ProviderName.SANDBOX,
}


class TradeStatus(StrEnum):
    """A trade as the provider sees it (WeChat `trade_state` vocabulary)."""

    SUCCESS = "SUCCESS"
    NOTPAY = "NOTPAY"
    CLOSED = "CLOSED"
    REFUND = "REFUND"  # paid, then (partly) refunded
    USERPAYING = "USERPAYING"
    PAYERROR = "PAYERROR"


class ProviderRefundStatus(StrEnum):
    """A refund as the provider reports it; our own refund row's state is payments.enums.RefundState."""

    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"  # failed for good: refund again with a NEW out_refund_no
    ABNORMAL = "ABNORMAL"  # stuck (e.g. frozen card): not final, needs a human or the abnormal-refund API


class ErrorCode(StrEnum):
    """Our names for what went wrong; the provider's own code is kept in ``ProviderError.provider_code``."""

    TIMEOUT = "TIMEOUT"  # outcome unknown: retry with the same out_trade_no / out_refund_no
    UNAVAILABLE = "UNAVAILABLE"  # could not connect, or the provider is down (5xx)
    SYSTEM_ERROR = "SYSTEM_ERROR"
    FREQUENCY_LIMITED = "FREQUENCY_LIMITED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"  # merchant balance too low to refund: retry later
    ALREADY_PAID = "ALREADY_PAID"  # close lost the race against the payment: take the paid path
    WRONG_STATE = "WRONG_STATE"  # the trade's state forbids this; query() to learn it
    TRADE_NOT_FOUND = "TRADE_NOT_FOUND"
    NUMBER_USED = "NUMBER_USED"  # this out_trade_no was placed before and its answer lost: place a new attempt
    AUTH_FAILED = "AUTH_FAILED"  # our signature or keys were refused: configuration problem
    REJECTED = "REJECTED"  # any other refusal of the request
    BAD_RESPONSE = "BAD_RESPONSE"  # unparsable or inconsistent answer
    RESPONSE_SIGNATURE_INVALID = "RESPONSE_SIGNATURE_INVALID"  # the answer is not provably from the provider


class Rejection(StrEnum):
    """Why a notification was refused (``InvalidCallback.reason``)."""

    MISSING_SIGNATURE = "missing_signature"  # a signature header or field is absent
    PROBE = "probe"  # WeChat's WECHATPAY/SIGNTEST/ probe traffic
    BAD_TIMESTAMP = "bad_timestamp"
    STALE = "stale"  # timestamp outside the 5-minute window
    UNKNOWN_KEY = "unknown_key"  # Wechatpay-Serial names no key we hold; UnionPay: a signer we do not trust
    BAD_SIGNATURE = "bad_signature"
    UNSUPPORTED = "unsupported"  # signature type or algorithm we do not accept
    UNDECRYPTABLE = "undecryptable"  # AES-GCM authentication failed (wrong key, nonce or AAD)
    MALFORMED = "malformed"  # verified, yet not the documented shape
    FOREIGN_MERCHANT = "foreign_merchant"  # signed by the provider but for another mchid / appid
    TOO_LARGE = "too_large"


class ProviderError(Exception):
    """A provider call failed. ``retryable``: the same call may succeed later (same ids!)."""

    def __init__(
        self, code: str, message: str = "", *, retryable: bool = False, provider_code: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message, self.retryable, self.provider_code = code, message, retryable, provider_code


class ProviderTimeout(ProviderError):
    """No answer in time. The provider may have acted: retry with the same out_trade_no / out_refund_no."""

    def __init__(self, message: str = "no answer in time") -> None:
        super().__init__(ErrorCode.TIMEOUT, message, retryable=True)


class ProviderNotConfigured(Exception):
    """The channel is disabled or its settings are missing; the domain answers "channel unavailable"."""


class InvalidCallback(Exception):
    """A notification we cannot prove genuine or cannot decode; answer 4xx, change nothing."""

    def __init__(self, reason: Rejection, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class JsapiParams:
    """Arguments for the mini-app's ``wx.requestPayment`` (paySign by the merchant key)."""

    app_id: str
    time_stamp: str  # seconds, 10 digits
    nonce_str: str
    package: str  # "prepay_id=..."
    sign_type: str  # "RSA"
    pay_sign: str

    def as_request_payment(self) -> dict[str, str]:
        """The exact keys ``wx.requestPayment`` expects (appId is signed but not passed by the mini-app)."""
        return {
            "appId": self.app_id,
            "timeStamp": self.time_stamp,
            "nonceStr": self.nonce_str,
            "package": self.package,
            "signType": self.sign_type,
            "paySign": self.pay_sign,
        }


@dataclass(frozen=True)
class FrontForm:
    """A signed form the shopper's browser (the mini-app's web-view) posts to the provider's payment page."""

    action: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class CreatedPayment:
    out_trade_no: str
    code_url: str | None  # QR payload (native, Alipay, UnionPay QR, sandbox); None for JSAPI and UnionPay H5
    prepay_id: str | None = None
    jsapi_params: JsapiParams | None = None
    front_form: FrontForm | None = None  # UnionPay H5


@dataclass(frozen=True)
class TradeQuery:
    out_trade_no: str
    status: TradeStatus
    transaction_id: str | None = None  # the provider's id, once paid
    amount_fen: int | None = None  # order total (not payer_total, which coupons lower)
    payer: str | None = None  # openid / Alipay buyer id
    paid_at: datetime | None = None


@dataclass(frozen=True)
class RefundResult:
    out_refund_no: str
    status: ProviderRefundStatus
    refund_fen: int
    refund_id: str | None = None
    succeeded_at: datetime | None = None


@dataclass(frozen=True)
class PaymentSucceeded:
    out_trade_no: str
    transaction_id: str
    amount_fen: int  # compare with the order total before marking it paid
    mchid: str
    appid: str
    event_id: str
    paid_at: datetime | None
    payer: str | None = None


@dataclass(frozen=True)
class PaymentFailed:
    """Verified, and the trade did not succeed (closed, failed). Confirm with query() where the provider has one."""

    out_trade_no: str
    event_id: str
    status: TradeStatus


@dataclass(frozen=True)
class RefundSucceeded:
    out_trade_no: str
    out_refund_no: str
    refund_id: str | None
    refund_fen: int | None  # None when the provider reports only a cumulative total (Alipay)
    event_id: str
    succeeded_at: datetime | None


@dataclass(frozen=True)
class RefundFailed:
    out_trade_no: str
    out_refund_no: str
    refund_id: str | None
    status: ProviderRefundStatus  # CLOSED (final) or ABNORMAL (not final)
    event_id: str


@dataclass(frozen=True)
class IgnoredEvent:
    """Genuine, but nothing for us to do (other event types, WAIT_BUYER_PAY...): store it and acknowledge."""

    event_id: str
    event_type: str


CallbackEvent = PaymentSucceeded | PaymentFailed | RefundSucceeded | RefundFailed | IgnoredEvent


@dataclass(frozen=True)
class NotifyReply:
    """What the notify endpoint answers the provider."""

    status: int
    body: bytes
    content_type: str | None


class HeaderSource(Protocol):
    """A dict or Flask's ``request.headers``: anything with ``items()``."""

    def items(self) -> Iterable[tuple[str, str]]: ...


class PaymentProvider(Protocol):
    """One payment provider. Implementations: WeChatPayProvider, AlipayProvider, UnionPayProvider, SandboxProvider.

    ``placed_at`` (the payment row's ``created_at``) and ``requested_at`` (the refund row's) are stable across
    retries: UnionPay names a trade by its order id *and* the time it was first sent (``txnTime``), and refunds
    the provider's transaction id (``transaction_id``). WeChat Pay, Alipay and the sandbox ignore them.
    """

    @property
    def name(self) -> ProviderName: ...

    def create_payment(
        self,
        *,
        channel: PaymentChannel,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        expires_at: datetime,
        payer_openid: str | None = None,
        placed_at: datetime | None = None,
    ) -> CreatedPayment:
        """Place a trade. Calling again with the same arguments is safe (same trade)."""
        ...

    def query(self, out_trade_no: str, *, placed_at: datetime | None = None) -> TradeQuery:
        """The trade's current state (signed by the provider)."""
        ...

    def close(self, out_trade_no: str, *, placed_at: datetime | None = None) -> None:
        """Stop the trade from being paid; ``ProviderError(ALREADY_PAID)`` when the payment won the race."""
        ...

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
        transaction_id: str | None = None,
        placed_at: datetime | None = None,
        requested_at: datetime | None = None,
    ) -> RefundResult:
        """Refund once per ``out_refund_no``; calling again with it is safe and tells the current status."""
        ...

    def parse_callback(self, headers: HeaderSource, body: bytes, *, now: datetime) -> CallbackEvent:
        """Verify, then decode; raises only ``InvalidCallback``."""
        ...

    def accepted_reply(self) -> NotifyReply:
        """The answer that stops the provider from resending."""
        ...

    def rejected_reply(self, message: str, *, status: int = 400) -> NotifyReply:
        """The answer that makes the provider resend later (WeChat: any 4xx/5xx; Alipay: anything but success)."""
        ...


def lower_headers(headers: HeaderSource) -> dict[str, str]:
    """Header names lower-cased (HTTP names are case-insensitive)."""
    return {str(key).lower(): str(value) for key, value in headers.items()}


def check_timestamp(raw: str, now: datetime) -> None:
    """A unix-seconds timestamp within 5 minutes of ``now``, or InvalidCallback."""
    if not _DIGITS.match(raw):
        raise InvalidCallback(Rejection.BAD_TIMESTAMP)
    if abs(now.timestamp() - int(raw)) > NOTIFY_WINDOW.total_seconds():
        raise InvalidCallback(Rejection.STALE)


def check_out_trade_no(value: str) -> str:
    """6-32 characters of [0-9A-Za-z_-|*] (WeChat's rule, which Alipay accepts too)."""
    if not isinstance(value, str) or not _OUT_TRADE_NO.match(value):
        raise ValueError("out_trade_no must be 6-32 characters of [0-9A-Za-z_-|*]")
    return value


def check_out_refund_no(value: str) -> str:
    if not isinstance(value, str) or not _OUT_REFUND_NO.match(value):
        raise ValueError("out_refund_no must be 1-64 characters of [0-9A-Za-z_-|*@]")
    return value


def check_fen(value: int, name: str = "amount_fen") -> int:
    """A positive integer amount (bool and float refused)."""
    if type(value) is not int or value <= 0:
        raise ValueError(f"{name} must be a positive integer number of fen")
    return value


def parse_rfc3339(value: object) -> datetime:
    """An aware RFC 3339 time as UTC, or ValueError."""
    if not isinstance(value, str):
        raise ValueError("time must be a string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("time needs an offset")
    return parsed.astimezone(UTC)


def strict_int(value: object) -> int:
    """A JSON integer (bool refused), or ValueError."""
    if type(value) is not int:
        raise ValueError("expected an integer")
    return value
