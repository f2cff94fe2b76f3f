"""Decode a verified WeChat Pay notification body into a typed event (payment or refund)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from groupbuy.payments.providers.base import (
    CallbackEvent,
    IgnoredEvent,
    InvalidCallback,
    PaymentFailed,
    PaymentSucceeded,
    ProviderRefundStatus,
    RefundFailed,
    RefundSucceeded,
    Rejection,
    TradeStatus,
    parse_rfc3339,
    strict_int,
)
from groupbuy.payments.providers.wechatpay_crypto import decrypt_resource

TRADE_STATES: Mapping[str, TradeStatus] = {
    "SUCCESS": TradeStatus.SUCCESS,
    "REFUND": TradeStatus.REFUND,
    "NOTPAY": TradeStatus.NOTPAY,
    "CLOSED": TradeStatus.CLOSED,
    "REVOKED": TradeStatus.CLOSED,  # micropay only: revoked means it can no longer be paid
    "USERPAYING": TradeStatus.USERPAYING,
    "PAYERROR": TradeStatus.PAYERROR,
}
REFUND_STATES: Mapping[str, ProviderRefundStatus] = {status.value: status for status in ProviderRefundStatus}


def text(data: Mapping[str, Any], key: str) -> str:
    """A non-empty string field, or ValueError."""
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} missing")
    return value


def optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def decode_callback(body: bytes, *, apiv3_key: bytes, mchid: str, appid: str) -> CallbackEvent:
    """The event in an already verified body; InvalidCallback for anything unexpected."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise InvalidCallback(Rejection.MALFORMED, "body is not JSON") from exc
    if not isinstance(envelope, dict):
        raise InvalidCallback(Rejection.MALFORMED, "body is not an object")
    try:
        event_id, event_type = text(envelope, "id"), text(envelope, "event_type")
    except ValueError as exc:
        raise InvalidCallback(Rejection.MALFORMED, "envelope") from exc
    data = decrypt_resource(envelope.get("resource"), apiv3_key)
    try:
        if event_type.startswith("TRANSACTION."):
            return _transaction(data, event_id, event_type, mchid=mchid, appid=appid)
        if event_type.startswith("REFUND."):
            return _refund(data, event_id, mchid=mchid)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidCallback(Rejection.MALFORMED, "resource content") from exc
    return IgnoredEvent(event_id=event_id, event_type=event_type)


def _check_merchant(data: Mapping[str, Any], *, mchid: str, appid: str | None) -> None:
    if data.get("mchid") != mchid or (appid is not None and data.get("appid") != appid):
        raise InvalidCallback(Rejection.FOREIGN_MERCHANT)


def _transaction(data: Mapping[str, Any], event_id: str, event_type: str, *, mchid: str, appid: str) -> CallbackEvent:
    _check_merchant(data, mchid=mchid, appid=appid)
    state = TRADE_STATES.get(text(data, "trade_state"))
    if state is None:
        raise ValueError("unknown trade_state")
    out_trade_no = text(data, "out_trade_no")
    if event_type != "TRANSACTION.SUCCESS" or state is not TradeStatus.SUCCESS:
        if state in (TradeStatus.SUCCESS, TradeStatus.REFUND):  # contradicts its event type: ask query()
            return IgnoredEvent(event_id=event_id, event_type=event_type)
        return PaymentFailed(out_trade_no=out_trade_no, event_id=event_id, status=state)
    amount_fen = strict_int(data["amount"]["total"])
    if amount_fen <= 0:
        raise ValueError("amount must be positive")
    success_time = data.get("success_time")
    payer = data.get("payer")
    return PaymentSucceeded(
        out_trade_no=out_trade_no,
        transaction_id=text(data, "transaction_id"),
        amount_fen=amount_fen,
        mchid=text(data, "mchid"),
        appid=text(data, "appid"),
        event_id=event_id,
        paid_at=parse_rfc3339(success_time) if success_time is not None else None,
        payer=optional_text(payer, "openid") if isinstance(payer, dict) else None,
    )


def _refund(data: Mapping[str, Any], event_id: str, *, mchid: str) -> CallbackEvent:
    _check_merchant(data, mchid=mchid, appid=None)  # refund notifications carry no appid
    status = REFUND_STATES.get(text(data, "refund_status"))
    if status is None or status is ProviderRefundStatus.PROCESSING:
        raise ValueError("unknown refund_status")
    out_trade_no, out_refund_no = text(data, "out_trade_no"), text(data, "out_refund_no")
    refund_id = optional_text(data, "refund_id")
    if status is ProviderRefundStatus.SUCCESS:
        success_time = data.get("success_time")
        return RefundSucceeded(
            out_trade_no=out_trade_no,
            out_refund_no=out_refund_no,
            refund_id=refund_id,
            refund_fen=strict_int(data["amount"]["refund"]),
            event_id=event_id,
            succeeded_at=parse_rfc3339(success_time) if success_time is not None else None,
        )
    return RefundFailed(
        out_trade_no=out_trade_no, out_refund_no=out_refund_no, refund_id=refund_id, status=status, event_id=event_id
    )
