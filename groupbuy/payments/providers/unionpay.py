"""UnionPay online payments (全渠道 gateway v5.1.0): consumer-scanned QR and H5 (front) payments, query, refund.

Requests are forms signed with the merchant's PKCS#12 key (``certId`` names it). Every answer we act on and every
notification must carry a valid signature by a ``signPubKeyCert`` chained to our configured root and
intermediate (see ``unionpay_sign``). UnionPay names a transaction by ``orderId`` and the time it was first sent
(``txnTime``): ours are ``out_trade_no`` / ``out_refund_no`` and the payment's / refund's ``created_at``, passed
in as ``placed_at`` / ``requested_at`` so every retry and query names the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
import structlog

from groupbuy import clock
from groupbuy.payments.providers.alipay_notify import read_form
from groupbuy.payments.providers.base import (
    NOTIFY_WINDOW,
    CallbackEvent,
    CreatedPayment,
    ErrorCode,
    FrontForm,
    HeaderSource,
    InvalidCallback,
    NotifyReply,
    PaymentChannel,
    ProviderError,
    ProviderName,
    ProviderNotConfigured,
    ProviderRefundStatus,
    ProviderTimeout,
    RefundResult,
    Rejection,
    TradeQuery,
    TradeStatus,
    check_fen,
)
from groupbuy.payments.providers.unionpay_events import UNKNOWN_CODES, decode_event, error_for
from groupbuy.payments.providers.unionpay_sign import (
    MerchantSigner,
    TrustChain,
    load_certificate,
    load_signer,
    parse_answer,
    parse_fen,
    parse_txn_time,
    txn_time,
)
from groupbuy.settings import Settings

log = structlog.get_logger(__name__)

BACK_PATH = "/gateway/api/backTransReq.do"
QUERY_PATH = "/gateway/api/queryTrans.do"
FRONT_PATH = "/gateway/api/frontTransReq.do"
UNIONPAY_NOTIFY_ACK = "ok"
# A notification's txnTime is when we sent the transaction; UnionPay resends for well under a day.
NOTIFY_MAX_AGE = timedelta(days=1)
_ORDER_ID = re.compile(r"^[0-9A-Za-z]{8,32}$")
_COMMON = {"version": "5.1.0", "encoding": "UTF-8", "signMethod": "01", "accessType": "0"}
DUPLICATE = "12"  # this orderId + txnTime was sent before
_CONFIG_KEYS = (
    "UNIONPAY_MER_ID",
    "UNIONPAY_SIGN_CERT_FILE",
    "UNIONPAY_SIGN_CERT_PASSWORD",
    "UNIONPAY_ROOT_CERT_FILE",
    "UNIONPAY_MIDDLE_CERT_FILE",
    "UNIONPAY_SIGNER_NAME",
    "UNIONPAY_NOTIFY_URL",
)


def missing_settings(settings: Settings) -> list[str]:
    """The UnionPay settings an enabled UnionPay channel still lacks (the front URL only for H5)."""
    missing = [key for key in _CONFIG_KEYS if not getattr(settings, key.lower())]
    if PaymentChannel.UNIONPAY_H5.value in settings.payment_channels and not settings.unionpay_front_url:
        missing.append("UNIONPAY_FRONT_URL")
    return missing


def check_order_id(value: str, name: str = "orderId") -> str:
    """UnionPay's orderId: 8-32 letters and digits."""
    if not isinstance(value, str) or not _ORDER_ID.match(value):
        raise ValueError(f"{name} must be 8-32 letters and digits")
    return value


@dataclass(frozen=True)
class UnionPaySettings:
    mer_id: str
    signer: MerchantSigner = field(repr=False)
    trust: TrustChain
    notify_url: str  # backUrl
    gateway: str  # default: GROUPBUY_UNIONPAY_GATEWAY (groupbuy/settings.py)
    timeout: float
    front_url: str = ""  # frontUrl (H5): where the shopper's browser returns; empty: QR only

    def __post_init__(self) -> None:
        if not (self.mer_id and self.notify_url) or self.timeout <= 0:
            raise ValueError("merchant id, notify URL and a positive timeout are required")

    @classmethod
    def from_settings(cls, settings: Settings) -> UnionPaySettings:
        """From the app's settings; ProviderNotConfigured when something is missing."""
        missing = missing_settings(settings)
        if missing:
            raise ProviderNotConfigured("unionpay: missing " + ", ".join(missing))
        try:
            return cls(
                mer_id=settings.unionpay_mer_id,
                signer=load_signer(settings.unionpay_sign_cert_file, settings.unionpay_sign_cert_password),
                trust=TrustChain(
                    root=load_certificate(settings.unionpay_root_cert_file),
                    intermediate=load_certificate(settings.unionpay_middle_cert_file),
                    signer_name=settings.unionpay_signer_name,
                ),
                notify_url=settings.unionpay_notify_url,
                front_url=settings.unionpay_front_url,
                gateway=settings.unionpay_gateway.rstrip("/"),
                timeout=settings.http_timeout_seconds,
            )
        except (OSError, ValueError, TypeError) as exc:  # messages name files, never passwords or key material
            raise ProviderNotConfigured(f"unionpay: {type(exc).__name__}: {str(exc)[:120]}") from exc


class UnionPayProvider:
    """The real UnionPay client (``PaymentProvider``)."""

    def __init__(self, settings: UnionPaySettings, *, now: Callable[[], datetime] = clock.now) -> None:
        self.settings, self._now = settings, now

    @property
    def name(self) -> ProviderName:
        return ProviderName.UNIONPAY

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
        """QR: a consume (txnSubType 07) answered with the qrCode. H5: the signed front form, no call from us."""
        check_order_id(out_trade_no)
        check_fen(amount_fen)
        if channel not in (PaymentChannel.UNIONPAY_QR, PaymentChannel.UNIONPAY_H5):
            raise ValueError(f"UnionPay does not serve channel {channel}")
        fields = {
            "txnType": "01",
            "txnAmt": str(amount_fen),
            "currencyCode": "156",
            "orderId": out_trade_no,
            "txnTime": txn_time(placed_at or self._now()),
            "payTimeout": txn_time(expires_at),
            "backUrl": self.settings.notify_url,
        }
        if channel is PaymentChannel.UNIONPAY_H5:
            if not self.settings.front_url:
                raise ValueError("UNIONPAY_FRONT_URL is required for unionpay_h5")
            fields |= {"txnSubType": "01", "bizType": "000201", "channelType": "08"}
            fields["frontUrl"] = self.settings.front_url
            form = FrontForm(action=self.settings.gateway + FRONT_PATH, fields=self._signed(fields))
            return CreatedPayment(out_trade_no=out_trade_no, code_url=None, front_form=form)
        fields |= {"txnSubType": "07", "bizType": "000000", "channelType": "08"}
        answer = self._call(BACK_PATH, fields)
        if answer.get("respCode") == DUPLICATE:  # an earlier try was placed, its qrCode lost: no way to get it back
            raise ProviderError(ErrorCode.NUMBER_USED, "orderId already placed", provider_code=DUPLICATE)
        self._raise_unless_ok(answer)
        code_url = answer.get("qrCode", "")
        if not code_url or answer.get("orderId") != out_trade_no:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "consume answer", retryable=True)
        return CreatedPayment(out_trade_no=out_trade_no, code_url=code_url)

    def query(self, out_trade_no: str, *, placed_at: datetime | None = None) -> TradeQuery:
        """queryTrans (txnType 00) by orderId + txnTime. A QR nobody paid is "not found" (34): NOTPAY."""
        check_order_id(out_trade_no)
        try:
            answer = self._query(out_trade_no, placed_at)
        except ProviderError as exc:
            if exc.code == ErrorCode.TRADE_NOT_FOUND:
                return TradeQuery(out_trade_no=out_trade_no, status=TradeStatus.NOTPAY)
            raise
        original = answer.get("origRespCode", "")
        if original != "00":  # in progress, or an attempt that failed while the QR stays payable
            return TradeQuery(out_trade_no=out_trade_no, status=TradeStatus.NOTPAY)
        try:
            return TradeQuery(
                out_trade_no=out_trade_no,
                status=TradeStatus.SUCCESS,
                transaction_id=answer["queryId"] or None,
                amount_fen=parse_fen(answer.get("txnAmt")),
                payer=None,
                paid_at=None,
            )
        except (KeyError, ValueError) as exc:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "query answer", retryable=True) from exc

    def close(self, out_trade_no: str, *, placed_at: datetime | None = None) -> None:
        """UnionPay has no close for an unpaid QR: it dies at its payTimeout (the order's pay_before).

        Paid: ProviderError(ALREADY_PAID), so the payment takes the paid path; unpaid: TRADE_NOT_FOUND, like an
        unscanned Alipay QR (a payment after our cancellation arrives as a late payment and is refunded).
        """
        if self.query(out_trade_no, placed_at=placed_at).status is TradeStatus.SUCCESS:
            raise ProviderError(ErrorCode.ALREADY_PAID, "paid before the close", provider_code="00")
        raise ProviderError(ErrorCode.TRADE_NOT_FOUND, "an unpaid UnionPay QR expires at its payTimeout")

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
        """Refund (txnType 04) of the paid consume (origQryId); orderId = out_refund_no, txnTime = requested_at.

        Accepted (00) is PROCESSING: the result comes by notification or query. A resend of the same refund is a
        duplicate (12) at UnionPay: its status is then read with the query, so retries never refund twice.
        """
        check_order_id(out_trade_no)
        check_order_id(out_refund_no, "out_refund_no")
        check_fen(refund_fen, "refund_fen")
        check_fen(total_fen, "total_fen")
        if refund_fen > total_fen:
            raise ValueError("refund_fen exceeds total_fen")
        if requested_at is None:
            raise ValueError("a UnionPay refund needs requested_at (its txnTime, stable across retries)")
        original = transaction_id or self.query(out_trade_no, placed_at=placed_at).transaction_id
        if not original:
            raise ProviderError(ErrorCode.WRONG_STATE, "the original consume is not paid")
        fields = {
            "txnType": "04",
            "txnSubType": "00",
            "bizType": "000000",
            "channelType": "07",
            "orderId": out_refund_no,
            "origQryId": original,
            "txnTime": txn_time(requested_at),
            "txnAmt": str(refund_fen),
            "backUrl": self.settings.notify_url,
        }
        answer = self._call(BACK_PATH, fields)
        code = answer.get("respCode", "")
        if code == "00" or code in UNKNOWN_CODES:
            return RefundResult(
                out_refund_no=out_refund_no, status=ProviderRefundStatus.PROCESSING, refund_fen=refund_fen
            )
        if code != DUPLICATE:
            raise error_for(answer)
        return self._refund_status(out_refund_no, refund_fen, requested_at)

    def _refund_status(self, out_refund_no: str, refund_fen: int, requested_at: datetime) -> RefundResult:
        answer = self._query(out_refund_no, requested_at)
        original = answer.get("origRespCode", "")
        if original == "00":
            status = ProviderRefundStatus.SUCCESS
        elif original in UNKNOWN_CODES:
            status = ProviderRefundStatus.PROCESSING
        else:  # refused for good: the domain starts a successor with a new number
            status = ProviderRefundStatus.CLOSED
        return RefundResult(
            out_refund_no=out_refund_no,
            status=status,
            refund_fen=refund_fen,
            refund_id=answer.get("queryId") or None,
            succeeded_at=None,
        )

    def parse_callback(self, headers: HeaderSource, body: bytes, *, now: datetime) -> CallbackEvent:
        """Verify signer chain, signer name and signature; then txnTime within a day of ``now``; then decode."""
        fields = read_form(body)
        self.settings.trust.verify(fields, now=now)
        try:
            sent_at = parse_txn_time(fields.get("txnTime"))
        except ValueError as exc:
            raise InvalidCallback(Rejection.BAD_TIMESTAMP) from exc
        if not (now - NOTIFY_MAX_AGE <= sent_at <= now + NOTIFY_WINDOW):
            raise InvalidCallback(Rejection.STALE)
        return decode_event(fields)

    def accepted_reply(self) -> NotifyReply:
        return NotifyReply(status=200, body=UNIONPAY_NOTIFY_ACK.encode(), content_type="text/plain; charset=utf-8")

    def rejected_reply(self, message: str, *, status: int = 400) -> NotifyReply:
        """Anything but HTTP 200 makes UnionPay resend; the reason stays in our logs."""
        return NotifyReply(status=status, body=b"fail", content_type="text/plain; charset=utf-8")

    # -- HTTP ---------------------------------------------------------------------------------------------

    def _signed(self, fields: Mapping[str, str]) -> dict[str, str]:
        signed = dict(_COMMON) | dict(fields) | {"merId": self.settings.mer_id, "certId": self.settings.signer.cert_id}
        signed["signature"] = self.settings.signer.sign(signed)
        return signed

    def _query(self, order_id: str, sent_at: datetime | None) -> dict[str, str]:
        if sent_at is None:
            raise ValueError("a UnionPay query needs the transaction's txnTime (placed_at / requested_at)")
        fields = {"txnType": "00", "txnSubType": "00", "bizType": "000000", "orderId": order_id}
        answer = self._call(QUERY_PATH, fields | {"txnTime": txn_time(sent_at)})
        self._raise_unless_ok(answer)
        if answer.get("orderId") != order_id:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "answer is about another transaction", retryable=True)
        return answer

    @staticmethod
    def _raise_unless_ok(answer: Mapping[str, str]) -> None:
        if answer.get("respCode") != "00":
            raise error_for(answer)

    def _call(self, path: str, fields: Mapping[str, str]) -> dict[str, str]:
        """One signed form POST; the verified answer (whatever its respCode) or a typed error."""
        try:
            response = requests.post(
                self.settings.gateway + path,
                data=self._signed(fields),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
                timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            log.warning("unionpay_timeout", endpoint=path)
            raise ProviderTimeout from exc
        except requests.RequestException as exc:
            log.warning("unionpay_unreachable", endpoint=path, error_class=type(exc).__name__)
            raise ProviderError(ErrorCode.UNAVAILABLE, type(exc).__name__, retryable=True) from exc
        if response.status_code != 200:
            raise ProviderError(ErrorCode.UNAVAILABLE, f"HTTP {response.status_code}", retryable=True)
        try:
            answer = parse_answer(response.content.decode("utf-8"))
        except ValueError as exc:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "unreadable answer", retryable=True) from exc
        try:
            self.settings.trust.verify(answer, now=self._now())
        except InvalidCallback as exc:  # success or refusal alike: an unproven answer is not acted on
            log.warning("unionpay_response_unverified", endpoint=path, reason=str(exc.reason))
            raise ProviderError(ErrorCode.RESPONSE_SIGNATURE_INVALID, str(exc.reason), retryable=True) from exc
        if answer.get("merId", self.settings.mer_id) != self.settings.mer_id:
            raise ProviderError(ErrorCode.BAD_RESPONSE, "answer is about another merchant", retryable=True)
        return answer
