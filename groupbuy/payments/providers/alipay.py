"""Alipay (openapi gateway, RSA2): QR payments via alipay.trade.precreate, query, close, refund.

Requests: form POST of the public parameters plus `biz_content`, signed over every non-empty parameter
except `sign`. Answers: `{"<method>_response": {...}, "sign": "..."}` signed over the node's raw text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa

from groupbuy import clock
from groupbuy.payments.providers.alipay_format import (
    china_time,
    fen_to_yuan,
    parse_china_time,
    raw_members,
    sign_content,
    yuan_to_fen,
)
from groupbuy.payments.providers.alipay_notify import ALIPAY_NOTIFY_ACK, decode_notify
from groupbuy.payments.providers.base import (
    CallbackEvent,
    CreatedPayment,
    ErrorCode,
    HeaderSource,
    NotifyReply,
    PaymentChannel,
    ProviderError,
    ProviderName,
    ProviderNotConfigured,
    ProviderRefundStatus,
    ProviderTimeout,
    RefundResult,
    TradeQuery,
    TradeStatus,
    check_fen,
    check_out_refund_no,
    check_out_trade_no,
)
from groupbuy.payments.providers.keys import load_private_key, load_public_key, rsa_sign, rsa_verify
from groupbuy.settings import Settings

log = structlog.get_logger(__name__)

TRADE_STATUSES: Mapping[str, TradeStatus] = {
    "WAIT_BUYER_PAY": TradeStatus.NOTPAY,
    "TRADE_CLOSED": TradeStatus.CLOSED,  # unpaid and timed out / closed, or fully refunded
    "TRADE_SUCCESS": TradeStatus.SUCCESS,
    "TRADE_FINISHED": TradeStatus.SUCCESS,
}
_SUB_CODES = {
    "ACQ.SYSTEM_ERROR": (ErrorCode.SYSTEM_ERROR, True),
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": (ErrorCode.INSUFFICIENT_FUNDS, True),
    "ACQ.TRADE_NOT_EXIST": (ErrorCode.TRADE_NOT_FOUND, False),
    "ACQ.TRADE_HAS_SUCCESS": (ErrorCode.ALREADY_PAID, False),
    "ACQ.TRADE_STATUS_ERROR": (ErrorCode.WRONG_STATE, False),
    "ACQ.TRADE_HAS_CLOSE": (ErrorCode.WRONG_STATE, False),
    "isv.invalid-signature": (ErrorCode.AUTH_FAILED, False),
    "isv.missing-signature": (ErrorCode.AUTH_FAILED, False),
    "isv.invalid-app-id": (ErrorCode.AUTH_FAILED, False),
}
_REFUNDED = (None, "", "REFUND_SUCCESS")
_FORM = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8", "Accept": "application/json"}
_CONFIG_KEYS = ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE", "ALIPAY_NOTIFY_URL")


@dataclass(frozen=True)
class AlipaySettings:
    app_id: str
    private_key: rsa.RSAPrivateKey = field(repr=False)  # ours (the app's)
    alipay_public_key: rsa.RSAPublicKey  # Alipay's, for answers and notifications
    notify_url: str
    gateway: str  # default: GROUPBUY_ALIPAY_GATEWAY (groupbuy/settings.py)
    timeout: float

    def __post_init__(self) -> None:
        if not (self.app_id and self.notify_url) or self.timeout <= 0:
            raise ValueError("app_id, notify_url and a positive timeout are required")

    @classmethod
    def from_settings(cls, settings: Settings) -> AlipaySettings:
        """From the app's settings; ProviderNotConfigured when something is missing."""
        missing = [key for key in _CONFIG_KEYS if not getattr(settings, key.lower())]
        if missing:
            raise ProviderNotConfigured("alipay: missing " + ", ".join(missing))
        try:
            return cls(
                app_id=settings.alipay_app_id,
                private_key=load_private_key(settings.alipay_private_key_file),
                alipay_public_key=load_public_key(settings.alipay_public_key_file)[0],
                notify_url=settings.alipay_notify_url,
                gateway=settings.alipay_gateway,
                timeout=settings.http_timeout_seconds,
            )
        except (OSError, ValueError) as exc:
            raise ProviderNotConfigured(f"alipay: {exc}") from exc


class AlipayProvider:
    """The real Alipay client (``PaymentProvider``)."""

    def __init__(self, settings: AlipaySettings, *, now: Callable[[], datetime] = clock.now) -> None:
        self.settings, self._now = settings, now

    @property
    def name(self) -> ProviderName:
        return ProviderName.ALIPAY

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
        """alipay.trade.precreate -> qr_code. The trade exists at Alipay only once someone scans it."""
        check_out_trade_no(out_trade_no)
        check_fen(amount_fen)
        if channel is not PaymentChannel.ALIPAY_QR:
            raise ValueError(f"Alipay does not serve channel {channel}")
        minutes = max(1, math.ceil((expires_at - self._now()).total_seconds() / 60))
        biz = {
            "out_trade_no": out_trade_no,
            "total_amount": fen_to_yuan(amount_fen),
            "subject": description[:256] or out_trade_no,
            "timeout_express": f"{minutes}m",
        }
        node = self._call("alipay.trade.precreate", biz, notify=True)
        code_url = node.get("qr_code")
        if not isinstance(code_url, str) or not code_url or node.get("out_trade_no") != out_trade_no:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "precreate answer", retryable=True)
        return CreatedPayment(out_trade_no=out_trade_no, code_url=code_url)

    def query(self, out_trade_no: str, *, placed_at: datetime | None = None) -> TradeQuery:
        """alipay.trade.query. A QR nobody scanned yet is "not found" at Alipay: that is NOTPAY."""
        check_out_trade_no(out_trade_no)
        try:
            node = self._call("alipay.trade.query", {"out_trade_no": out_trade_no})
        except ProviderError as exc:
            if exc.provider_code == "ACQ.TRADE_NOT_EXIST":
                return TradeQuery(out_trade_no=out_trade_no, status=TradeStatus.NOTPAY)
            raise
        try:
            if node.get("out_trade_no") != out_trade_no:
                raise ValueError("answer is about another trade")
            status = TRADE_STATUSES[str(node.get("trade_status"))]
            total = node.get("total_amount")
            return TradeQuery(
                out_trade_no=out_trade_no,
                status=status,
                transaction_id=str(node["trade_no"]) if node.get("trade_no") else None,
                amount_fen=yuan_to_fen(total) if total is not None else None,
                payer=str(node.get("buyer_user_id") or node.get("buyer_open_id") or "") or None,
                paid_at=parse_china_time(node.get("send_pay_date")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "query answer", retryable=True) from exc

    def close(self, out_trade_no: str, *, placed_at: datetime | None = None) -> None:
        """alipay.trade.close. An unscanned QR cannot be closed (TRADE_NOT_FOUND): it dies at its timeout,
        and a payment after our cancellation arrives as a late payment (RELIABILITY rule 7)."""
        check_out_trade_no(out_trade_no)
        self._call("alipay.trade.close", {"out_trade_no": out_trade_no})

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
        """alipay.trade.refund with out_request_no = out_refund_no (idempotent at Alipay).

        A repeated request answers fund_change=N, so N is settled with the refund query.
        """
        check_out_trade_no(out_trade_no)
        check_out_refund_no(out_refund_no)
        check_fen(refund_fen, "refund_fen")
        check_fen(total_fen, "total_fen")
        if refund_fen > total_fen:
            raise ValueError("refund_fen exceeds total_fen")
        biz = {"out_trade_no": out_trade_no, "refund_amount": fen_to_yuan(refund_fen), "out_request_no": out_refund_no}
        if reason:
            biz["refund_reason"] = reason[:256]
        node = self._call("alipay.trade.refund", biz)
        if node.get("fund_change") == "Y":
            return RefundResult(
                out_refund_no=out_refund_no,
                status=ProviderRefundStatus.SUCCESS,
                refund_fen=refund_fen,
                succeeded_at=parse_china_time(node.get("gmt_refund_pay")),
            )
        found = self._call(
            "alipay.trade.fastpay.refund.query", {"out_trade_no": out_trade_no, "out_request_no": out_refund_no}
        )
        # Alipay: data for this out_request_no with refund_status empty or REFUND_SUCCESS means refunded.
        done = found.get("out_request_no") == out_refund_no and found.get("refund_status") in _REFUNDED
        return RefundResult(
            out_refund_no=out_refund_no,
            status=ProviderRefundStatus.SUCCESS if done else ProviderRefundStatus.PROCESSING,
            refund_fen=refund_fen,
            succeeded_at=parse_china_time(found.get("gmt_refund_pay")) if done else None,
        )

    def parse_callback(self, headers: HeaderSource, body: bytes, *, now: datetime) -> CallbackEvent:
        """Verify the form's RSA2 sign and our app_id, then decode. Alipay signs no timestamp: ``now`` is unused
        (its resends span ~25 h with the same notify_id; dedupe on it)."""
        return decode_notify(body, app_id=self.settings.app_id, public_key=self.settings.alipay_public_key)

    def accepted_reply(self) -> NotifyReply:
        return NotifyReply(status=200, body=ALIPAY_NOTIFY_ACK.encode(), content_type="text/plain; charset=utf-8")

    def rejected_reply(self, message: str, *, status: int = 400) -> NotifyReply:
        """Anything but `success` makes Alipay resend; the message stays in our logs, not in the answer."""
        return NotifyReply(status=status, body=b"fail", content_type="text/plain; charset=utf-8")

    # -- HTTP ---------------------------------------------------------------------------------------------

    def _call(self, method: str, biz: Mapping[str, str], *, notify: bool = False) -> dict[str, Any]:
        """One signed gateway call; the verified response node with code 10000, or a typed error."""
        params = {
            "app_id": self.settings.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": china_time(self._now()),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        if notify:
            params["notify_url"] = self.settings.notify_url
        params["sign"] = rsa_sign(self.settings.private_key, sign_content(params, exclude=("sign",)).encode())
        try:
            response = requests.post(
                self.settings.gateway,
                data=params,
                headers=_FORM,
                timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            log.warning("alipay_timeout", method=method)
            raise ProviderTimeout from exc
        except requests.RequestException as exc:
            log.warning("alipay_unreachable", method=method, error_class=type(exc).__name__)
            raise ProviderError(ErrorCode.UNAVAILABLE, type(exc).__name__, retryable=True) from exc
        if response.status_code != 200:
            raise ProviderError(ErrorCode.UNAVAILABLE, f"HTTP {response.status_code}", retryable=True)
        return self._node(method, response.content)

    def _node(self, method: str, content: bytes) -> dict[str, Any]:
        try:
            members = raw_members(content.decode("utf-8"))
            raw = members.get(method.replace(".", "_") + "_response")
            node = json.loads(raw if raw is not None else members["error_response"])
            signature = json.loads(members["sign"]) if "sign" in members else None
        except (KeyError, ValueError, RecursionError) as exc:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "unreadable answer", retryable=True) from exc
        if not isinstance(node, dict):
            raise ProviderError(ErrorCode.BAD_RESPONSE, "answer node is not an object", retryable=True)
        success = raw is not None and node.get("code") == "10000"
        must_verify = raw is not None and (signature is not None or success)  # success must be signed; errors if so
        if must_verify and not (
            isinstance(signature, str)
            and raw is not None
            and rsa_verify(self.settings.alipay_public_key, raw.encode("utf-8"), signature)
        ):
            log.warning("alipay_response_unverified", method=method)
            raise ProviderError(ErrorCode.RESPONSE_SIGNATURE_INVALID, method, retryable=True)
        if success:
            return node
        raise _error(node)


def _error(node: Mapping[str, Any]) -> ProviderError:
    """Our typed error for an Alipay answer with code != 10000."""
    code, sub_code = str(node.get("code") or ""), str(node.get("sub_code") or "") or None
    message = str(node.get("sub_msg") or node.get("msg") or "")[:200]
    log.info("alipay_error", alipay_code=code, sub_code=sub_code)
    if sub_code in _SUB_CODES:
        mapped, retryable = _SUB_CODES[sub_code]
        return ProviderError(mapped, message, retryable=retryable, provider_code=sub_code)
    if code == "20000":  # service temporarily unavailable
        return ProviderError(ErrorCode.UNAVAILABLE, message, retryable=True, provider_code=sub_code or code)
    if code in ("20001", "40006"):
        return ProviderError(ErrorCode.AUTH_FAILED, message, provider_code=sub_code or code)
    return ProviderError(ErrorCode.REJECTED, message, provider_code=sub_code or code)
