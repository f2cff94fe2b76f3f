"""UnionPay answers and notifications as our types: respCode -> typed ProviderError, notify fields -> events."""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from groupbuy.payments.providers.base import (
    CallbackEvent,
    ErrorCode,
    IgnoredEvent,
    InvalidCallback,
    PaymentSucceeded,
    ProviderError,
    RefundSucceeded,
    Rejection,
)
from groupbuy.payments.providers.unionpay_sign import parse_fen

log = structlog.get_logger(__name__)

UNKNOWN_CODES = frozenset({"03", "04", "05"})  # outcome not known yet: query later
_RESP_CODES: Mapping[str, tuple[str, bool]] = {
    "02": (ErrorCode.UNAVAILABLE, True),
    "06": (ErrorCode.SYSTEM_ERROR, True),
    "11": (ErrorCode.AUTH_FAILED, False),  # our signature refused
    "31": (ErrorCode.AUTH_FAILED, False),  # merchant state
    "32": (ErrorCode.AUTH_FAILED, False),  # no permission for this transaction
    "34": (ErrorCode.TRADE_NOT_FOUND, False),
    "35": (ErrorCode.WRONG_STATE, False),  # original transaction absent or in the wrong state
    "36": (ErrorCode.WRONG_STATE, False),  # does not match the original (e.g. refunds above the paid amount)
    "37": (ErrorCode.FREQUENCY_LIMITED, True),
}


def error_for(answer: Mapping[str, str]) -> ProviderError:
    """Our typed error for a verified answer whose respCode is not 00."""
    code = answer.get("respCode", "")
    message = answer.get("respMsg", "")[:200]
    log.info("unionpay_error", resp_code=code)
    if code in UNKNOWN_CODES:
        return ProviderError(ErrorCode.TIMEOUT, message or "outcome unknown", retryable=True, provider_code=code)
    mapped, retryable = _RESP_CODES.get(code, (ErrorCode.REJECTED, False))
    return ProviderError(mapped, message, retryable=retryable, provider_code=code or None)


def decode_event(fields: Mapping[str, str]) -> CallbackEvent:
    """A verified notification as our event: consume and refund successes; anything else is stored and ignored."""
    order_id, query_id = fields.get("orderId", ""), fields.get("queryId", "")
    txn_type, resp_code = fields.get("txnType", ""), fields.get("respCode", "")
    if not (order_id and query_id and txn_type and resp_code):
        raise InvalidCallback(Rejection.MALFORMED, "orderId, queryId, txnType or respCode missing")
    event_id = f"{txn_type}:{query_id}"[:100]
    if resp_code != "00":
        return IgnoredEvent(event_id=f"{event_id}:{resp_code[:8]}", event_type=f"txn_{txn_type[:4]}:{resp_code[:8]}")
    try:
        amount_fen = parse_fen(fields.get("txnAmt"))
    except ValueError as exc:
        raise InvalidCallback(Rejection.MALFORMED, "txnAmt") from exc
    if txn_type == "01":
        return PaymentSucceeded(
            out_trade_no=order_id,
            transaction_id=query_id,
            amount_fen=amount_fen,
            mchid=fields.get("merId", ""),
            appid="",  # UnionPay has no app id: the merchant id is the check
            event_id=event_id,
            paid_at=None,  # traceTime has no year; the time we apply it stands in
        )
    if txn_type == "04":
        return RefundSucceeded(
            out_trade_no="",  # UnionPay names the original by origQryId only; our refund number is enough
            out_refund_no=order_id,
            refund_id=query_id,
            refund_fen=amount_fen,
            event_id=event_id,
            succeeded_at=None,
        )
    return IgnoredEvent(event_id=event_id, event_type=f"txn_{txn_type[:4]}")
