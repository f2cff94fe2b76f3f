"""WeChat Pay API v3 for a direct merchant: native (QR) and JSAPI (mini-app) payments, query, close, refund.

Every request is signed with the merchant key; every 2xx answer must carry a valid WeChat Pay signature
(key chosen by Wechatpay-Serial among the keys we hold, never fetched). Notifications: see parse_callback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa

from groupbuy import clock
from groupbuy.payments.providers.base import (
    CHINA_TZ,
    MAX_NOTIFY_BYTES,
    CallbackEvent,
    CreatedPayment,
    ErrorCode,
    HeaderSource,
    InvalidCallback,
    JsapiParams,
    NotifyReply,
    PaymentChannel,
    ProviderError,
    ProviderName,
    ProviderNotConfigured,
    ProviderTimeout,
    RefundResult,
    Rejection,
    TradeQuery,
    check_fen,
    check_out_refund_no,
    check_out_trade_no,
    lower_headers,
    parse_rfc3339,
    strict_int,
)
from groupbuy.payments.providers.keys import load_private_key, load_public_key, new_nonce
from groupbuy.payments.providers.wechatpay_crypto import (
    APIV3_KEY_BYTES,
    build_authorization,
    pay_sign,
    verify_wechatpay_signature,
)
from groupbuy.payments.providers.wechatpay_events import (
    REFUND_STATES,
    TRADE_STATES,
    decode_callback,
    optional_text,
    text,
)
from groupbuy.settings import Settings

log = structlog.get_logger(__name__)

USER_AGENT = "groupbuy-payments/1.0 (+python-requests)"
_RETRYABLE = {
    "SYSTEM_ERROR": ErrorCode.SYSTEM_ERROR,
    "BANKERROR": ErrorCode.SYSTEM_ERROR,
    "FREQUENCY_LIMITED": ErrorCode.FREQUENCY_LIMITED,
    "NOT_ENOUGH": ErrorCode.INSUFFICIENT_FUNDS,
}
_FINAL = {
    "ORDERPAID": ErrorCode.ALREADY_PAID,
    "ORDER_NOT_EXIST": ErrorCode.TRADE_NOT_FOUND,
    "RESOURCE_NOT_EXISTS": ErrorCode.TRADE_NOT_FOUND,
    "ORDER_CLOSED": ErrorCode.WRONG_STATE,
    "SIGN_ERROR": ErrorCode.AUTH_FAILED,
    "NO_AUTH": ErrorCode.AUTH_FAILED,
}
_CONFIG_KEYS = (
    "WECHATPAY_MCHID",
    "WECHATPAY_APPID",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE",
    "WECHATPAY_MERCHANT_SERIAL_NO",
    "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE",
    "WECHATPAY_NOTIFY_URL",
)


@dataclass(frozen=True)
class WeChatPaySettings:
    mchid: str
    appid: str
    apiv3_key: bytes = field(repr=False)
    merchant_key: rsa.RSAPrivateKey = field(repr=False)
    merchant_serial_no: str
    platform_keys: Mapping[str, rsa.RSAPublicKey]  # Wechatpay-Serial -> key (PUB_KEY_ID_... or cert serial)
    notify_url: str
    api_base: str  # default: GROUPBUY_WECHATPAY_API_BASE (groupbuy/settings.py, the one place defaults live)
    timeout: float

    def __post_init__(self) -> None:
        if len(self.apiv3_key) != APIV3_KEY_BYTES:
            raise ValueError("the APIv3 key must be 32 bytes")
        if not (self.mchid and self.appid and self.merchant_serial_no and self.platform_keys and self.notify_url):
            raise ValueError("mchid, appid, merchant serial, platform keys and notify_url are required")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> WeChatPaySettings:
        """From the app's settings; ProviderNotConfigured when something is missing."""
        missing = [key for key in _CONFIG_KEYS if not getattr(settings, key.lower())]
        if missing:
            raise ProviderNotConfigured("wechatpay: missing " + ", ".join(missing))
        try:
            platform_key, certificate_serial = load_public_key(settings.wechatpay_platform_public_key_file)
            key_id = settings.wechatpay_platform_public_key_id or certificate_serial or ""
            if not key_id:
                raise ValueError("WECHATPAY_PLATFORM_PUBLIC_KEY_ID is required for a bare public key")
            return cls(
                mchid=settings.wechatpay_mchid,
                appid=settings.wechatpay_appid,
                apiv3_key=settings.wechatpay_apiv3_key.encode(),
                merchant_key=load_private_key(settings.wechatpay_merchant_private_key_file),
                merchant_serial_no=settings.wechatpay_merchant_serial_no,
                platform_keys={key_id: platform_key},
                notify_url=settings.wechatpay_notify_url,
                api_base=settings.wechatpay_api_base,
                timeout=settings.http_timeout_seconds,
            )
        except (OSError, ValueError) as exc:  # messages name files and keys, never their contents
            raise ProviderNotConfigured(f"wechatpay: {exc}") from exc


class WeChatPayProvider:
    """The real WeChat Pay client (``PaymentProvider``)."""

    def __init__(self, settings: WeChatPaySettings, *, now: Callable[[], datetime] = clock.now) -> None:
        self.settings, self._now = settings, now
        parts = urlsplit(settings.api_base)
        self._origin, self._base_path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")

    @property
    def name(self) -> ProviderName:
        return ProviderName.WECHATPAY

    def create_payment(
        self,
        *,
        channel: PaymentChannel,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        expires_at: datetime,
        payer_openid: str | None = None,
        placed_at: datetime | None = None,  # UnionPay's; unused here
    ) -> CreatedPayment:
        """Native order -> code_url; JSAPI order -> prepay_id and signed wx.requestPayment params."""
        check_out_trade_no(out_trade_no)
        check_fen(amount_fen)
        if channel not in (PaymentChannel.WECHAT_NATIVE, PaymentChannel.WECHAT_JSAPI):
            raise ValueError(f"WeChat Pay does not serve channel {channel}")
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be aware")
        payload: dict[str, Any] = {
            "appid": self.settings.appid,
            "mchid": self.settings.mchid,
            "description": description[:127] or out_trade_no,
            "out_trade_no": out_trade_no,
            "time_expire": expires_at.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
            "notify_url": self.settings.notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
        }
        if channel is PaymentChannel.WECHAT_NATIVE:
            data = self._call("POST", "/v3/pay/transactions/native", payload)
            return CreatedPayment(out_trade_no=out_trade_no, code_url=self._field(data, "code_url"))
        if not payer_openid:
            raise ValueError("a JSAPI payment needs the payer's openid")
        payload["payer"] = {"openid": payer_openid}
        prepay_id = self._field(self._call("POST", "/v3/pay/transactions/jsapi", payload), "prepay_id")
        return CreatedPayment(
            out_trade_no=out_trade_no, code_url=None, prepay_id=prepay_id, jsapi_params=self.jsapi_params(prepay_id)
        )

    def jsapi_params(self, prepay_id: str) -> JsapiParams:
        """Fresh signed wx.requestPayment arguments for a prepay_id (also to re-open an unpaid order)."""
        timestamp, nonce, package = str(int(self._now().timestamp())), new_nonce(), f"prepay_id={prepay_id}"
        signature = pay_sign(
            self.settings.merchant_key, appid=self.settings.appid, timestamp=timestamp, nonce=nonce, package=package
        )
        return JsapiParams(
            app_id=self.settings.appid,
            time_stamp=timestamp,
            nonce_str=nonce,
            package=package,
            sign_type="RSA",
            pay_sign=signature,
        )

    def query(self, out_trade_no: str, *, placed_at: datetime | None = None) -> TradeQuery:
        """GET /v3/pay/transactions/out-trade-no/{no}?mchid=..."""
        check_out_trade_no(out_trade_no)
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}?mchid={quote(self.settings.mchid)}"
        data = self._call("GET", path)
        try:
            if data.get("out_trade_no") != out_trade_no or data.get("mchid") != self.settings.mchid:
                raise ValueError("answer is about another trade")
            status = TRADE_STATES[text(data, "trade_state")]
            amount, payer, success_time = data.get("amount"), data.get("payer"), data.get("success_time")
            return TradeQuery(
                out_trade_no=out_trade_no,
                status=status,
                transaction_id=optional_text(data, "transaction_id"),
                amount_fen=strict_int(amount["total"]) if isinstance(amount, dict) and "total" in amount else None,
                payer=optional_text(payer, "openid") if isinstance(payer, dict) else None,
                paid_at=parse_rfc3339(success_time) if success_time else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "query answer", retryable=True) from exc

    def close(self, out_trade_no: str, *, placed_at: datetime | None = None) -> None:
        """POST .../close (204). ORDERPAID becomes ProviderError(ALREADY_PAID): query() it and take the paid path."""
        check_out_trade_no(out_trade_no)
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        self._call("POST", path, {"mchid": self.settings.mchid})

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
        transaction_id: str | None = None,  # UnionPay's; unused here
        placed_at: datetime | None = None,
        requested_at: datetime | None = None,
    ) -> RefundResult:
        """POST /v3/refund/domestic/refunds. Same out_refund_no = same refund; the answer tells its status."""
        check_out_trade_no(out_trade_no)
        check_out_refund_no(out_refund_no)
        check_fen(refund_fen, "refund_fen")
        check_fen(total_fen, "total_fen")
        if refund_fen > total_fen:
            raise ValueError("refund_fen exceeds total_fen")
        payload: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "notify_url": self.settings.notify_url,
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }
        if reason:
            payload["reason"] = reason[:80]
        data = self._call("POST", "/v3/refund/domestic/refunds", payload)
        try:
            if data.get("out_refund_no") != out_refund_no:
                raise ValueError("answer is about another refund")
            success_time = data.get("success_time")
            return RefundResult(
                out_refund_no=out_refund_no,
                status=REFUND_STATES[text(data, "status")],
                refund_fen=strict_int(data["amount"]["refund"]),
                refund_id=optional_text(data, "refund_id"),
                succeeded_at=parse_rfc3339(success_time) if success_time else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "refund answer", retryable=True) from exc

    def parse_callback(self, headers: HeaderSource, body: bytes, *, now: datetime) -> CallbackEvent:
        """Verify signature, serial, freshness (±5 min of ``now``) and no probe; then decrypt and decode."""
        if len(body) > MAX_NOTIFY_BYTES:
            raise InvalidCallback(Rejection.TOO_LARGE)
        verify_wechatpay_signature(lower_headers(headers), body, keys=self.settings.platform_keys, now=now)
        return decode_callback(
            body, apiv3_key=self.settings.apiv3_key, mchid=self.settings.mchid, appid=self.settings.appid
        )

    def accepted_reply(self) -> NotifyReply:
        return NotifyReply(status=204, body=b"", content_type=None)

    def rejected_reply(self, message: str, *, status: int = 400) -> NotifyReply:
        """WeChat resends on any 4xx/5xx; the body is informative only."""
        body = json.dumps({"code": "FAIL", "message": message[:200]}, ensure_ascii=False).encode()
        return NotifyReply(status=status, body=body, content_type="application/json")

    # -- HTTP ---------------------------------------------------------------------------------------------

    @staticmethod
    def _field(data: Mapping[str, Any], key: str) -> str:
        try:
            return text(data, key)
        except ValueError as exc:
            raise ProviderError(ErrorCode.BAD_RESPONSE, f"{key} missing", retryable=True) from exc

    def _call(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One signed request; the verified JSON answer ({} for 204) or a typed error."""
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        url = self._base_path + path
        timestamp, nonce = str(int(self._now().timestamp())), new_nonce()
        headers = {
            "Authorization": build_authorization(
                mchid=self.settings.mchid,
                serial_no=self.settings.merchant_serial_no,
                key=self.settings.merchant_key,
                method=method,
                url=url,
                body=body,
                timestamp=timestamp,
                nonce=nonce,
            ),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = requests.request(
                method,
                self._origin + url,
                data=body if payload is not None else None,
                headers=headers,
                timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            log.warning("wechatpay_timeout", method=method, endpoint=path.split("?")[0])
            raise ProviderTimeout from exc
        except requests.RequestException as exc:
            log.warning("wechatpay_unreachable", method=method, error_class=type(exc).__name__)
            raise ProviderError(ErrorCode.UNAVAILABLE, type(exc).__name__, retryable=True) from exc
        return self._answer(response)

    def _answer(self, response: requests.Response) -> dict[str, Any]:
        headers, content, status = lower_headers(response.headers), response.content, response.status_code
        signed = "wechatpay-signature" in headers
        if 200 <= status < 300 or signed:  # errors are checked too when signed: a forged ORDERPAID is refused
            try:
                verify_wechatpay_signature(headers, content, keys=self.settings.platform_keys, now=self._now())
            except InvalidCallback as exc:
                log.warning("wechatpay_response_unverified", status=status, reason=str(exc.reason))
                raise ProviderError(ErrorCode.RESPONSE_SIGNATURE_INVALID, str(exc.reason), retryable=True) from exc
        try:
            data = json.loads(content) if content else {}
        except ValueError:
            data = None
        if 200 <= status < 300:
            if not isinstance(data, dict):
                raise ProviderError(ErrorCode.BAD_RESPONSE, "answer is not a JSON object", retryable=True)
            return data
        raise _error(status, data if isinstance(data, dict) else {})


def _error(status: int, data: Mapping[str, Any]) -> ProviderError:
    """Our typed error for a WeChat Pay error answer ({"code": ..., "message": ...})."""
    provider_code = data.get("code") if isinstance(data.get("code"), str) else None
    message = str(data.get("message") or "")[:200]
    log.info("wechatpay_error", status=status, provider_code=provider_code)
    if provider_code in _RETRYABLE:
        return ProviderError(_RETRYABLE[provider_code], message, retryable=True, provider_code=provider_code)
    if provider_code in _FINAL:
        return ProviderError(_FINAL[provider_code], message, provider_code=provider_code)
    if status == 429:
        return ProviderError(ErrorCode.FREQUENCY_LIMITED, message, retryable=True, provider_code=provider_code)
    if status >= 500:
        return ProviderError(ErrorCode.UNAVAILABLE, message, retryable=True, provider_code=provider_code)
    by_status = {401: ErrorCode.AUTH_FAILED, 404: ErrorCode.TRADE_NOT_FOUND}
    return ProviderError(by_status.get(status, ErrorCode.REJECTED), message, provider_code=provider_code)
