"""Alipay async notifications (form POST): RSA2 verified with Alipay's public key, then typed.

Verify: drop `sign` and `sign_type`, sort the rest, join `k=v&...` (empty values left out), SHA256withRSA.
Then: `app_id` must be ours; TRADE_SUCCESS / TRADE_FINISHED mean paid; `out_biz_no` marks a refund
notification. Resends of one notification keep their `notify_id`, which becomes ``event_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives.asymmetric import rsa

from groupbuy.payments.providers.alipay_format import parse_china_time, sign_content, yuan_to_fen
from groupbuy.payments.providers.base import (
    MAX_NOTIFY_BYTES,
    CallbackEvent,
    IgnoredEvent,
    InvalidCallback,
    PaymentFailed,
    PaymentSucceeded,
    RefundSucceeded,
    Rejection,
    TradeStatus,
)
from groupbuy.payments.providers.keys import rsa_verify

ALIPAY_NOTIFY_ACK = "success"  # the exact body that stops Alipay from resending
PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
_MAX_FIELDS = 100


def read_form(body: bytes) -> dict[str, str]:
    """The form fields of a notification body; InvalidCallback if it is not a plain UTF-8 form."""
    if len(body) > MAX_NOTIFY_BYTES:
        raise InvalidCallback(Rejection.TOO_LARGE)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_FIELDS,
        )
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise InvalidCallback(Rejection.MALFORMED, "not a form") from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidCallback(Rejection.MALFORMED, "repeated field")
    return fields


def verify_form(fields: Mapping[str, str], public_key: rsa.RSAPublicKey) -> None:
    """RSA2 over the sorted fields without sign/sign_type; InvalidCallback otherwise."""
    signature = fields.get("sign", "")
    if not signature:
        raise InvalidCallback(Rejection.MISSING_SIGNATURE)
    if fields.get("sign_type", "RSA2") != "RSA2":
        raise InvalidCallback(Rejection.UNSUPPORTED, "sign_type")
    content = sign_content(fields, exclude=("sign", "sign_type")).encode("utf-8")
    if not rsa_verify(public_key, content, signature):
        raise InvalidCallback(Rejection.BAD_SIGNATURE)


def decode_notify(body: bytes, *, app_id: str, public_key: rsa.RSAPublicKey) -> CallbackEvent:
    """Verify first, then the typed event."""
    fields = read_form(body)
    verify_form(fields, public_key)
    if fields.get("app_id") != app_id:
        raise InvalidCallback(Rejection.FOREIGN_MERCHANT)
    event_id, out_trade_no = fields.get("notify_id", ""), fields.get("out_trade_no", "")
    trade_status = fields.get("trade_status", "")
    if not (event_id and out_trade_no and trade_status):
        raise InvalidCallback(Rejection.MALFORMED, "notify_id, out_trade_no or trade_status missing")
    if fields.get("out_biz_no"):  # a refund notification (refund_fee is the cumulative refunded total)
        return RefundSucceeded(
            out_trade_no=out_trade_no,
            out_refund_no=fields["out_biz_no"],
            refund_id=None,
            refund_fen=None,
            event_id=event_id,
            succeeded_at=parse_china_time(fields.get("gmt_refund")),
        )
    if trade_status in PAID_STATUSES:
        return _paid(fields, event_id=event_id, out_trade_no=out_trade_no)
    if trade_status == "TRADE_CLOSED":
        return PaymentFailed(out_trade_no=out_trade_no, event_id=event_id, status=TradeStatus.CLOSED)
    return IgnoredEvent(event_id=event_id, event_type=f"trade_status_sync:{trade_status[:40]}")


def _paid(fields: Mapping[str, str], *, event_id: str, out_trade_no: str) -> PaymentSucceeded:
    try:
        amount_fen = yuan_to_fen(fields.get("total_amount", ""))
    except ValueError as exc:
        raise InvalidCallback(Rejection.MALFORMED, "total_amount") from exc
    transaction_id = fields.get("trade_no", "")
    if amount_fen <= 0 or not transaction_id:
        raise InvalidCallback(Rejection.MALFORMED, "total_amount or trade_no")
    return PaymentSucceeded(
        out_trade_no=out_trade_no,
        transaction_id=transaction_id,
        amount_fen=amount_fen,
        mchid=fields.get("seller_id", ""),
        appid=fields["app_id"],
        event_id=event_id,
        paid_at=parse_china_time(fields.get("gmt_payment")),
        payer=fields.get("buyer_id") or fields.get("buyer_open_id") or None,
    )
