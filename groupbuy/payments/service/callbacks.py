"""Provider callbacks (the providers call them notifications): shape-checked, stored raw, verified by the provider,
then applied once per event and state.

Nothing is stored for a provider that is not enabled (404) or for a body that does not even look like that
provider's notification (400 / 401, see providers/notify_shape.py). Stored rows are pruned by
``prune_payment_notifications`` after PAYMENT_NOTIFICATION_RETENTION_DAYS, except those still needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.db import db, transaction
from groupbuy.payments.enums import CallbackOutcome
from groupbuy.payments.models import Payment, PaymentCallback, ProcessedPaymentEvent, Refund
from groupbuy.payments.providers import (
    CallbackEvent,
    IgnoredEvent,
    InvalidCallback,
    NotifyReply,
    PaymentFailed,
    PaymentSucceeded,
    ProviderName,
    ProviderNotConfigured,
    ProviderRefundStatus,
    RefundFailed,
    RefundSucceeded,
    Rejection,
    TradeStatus,
    provider_named,
)
from groupbuy.payments.providers.base import MAX_NOTIFY_BYTES
from groupbuy.payments.providers.notify_shape import check_shape
from groupbuy.payments.service.channels import NOTIFY_PATHS
from groupbuy.payments.service.refunds import refund_closed, refund_stuck, refund_succeeded
from groupbuy.payments.service.settlement import PaidTrade, Settlement, record_failed_trade, settle_paid_trade
from groupbuy.settings import settings

log = structlog.get_logger(__name__)

_UNAUTHENTIC = frozenset(
    {Rejection.MISSING_SIGNATURE, Rejection.PROBE, Rejection.UNKNOWN_KEY, Rejection.BAD_SIGNATURE, Rejection.STALE}
)
_PRIVATE_HEADERS = frozenset({"authorization", "cookie"})


def handle_callback(*, provider: str, headers: Mapping[str, str], body: bytes, now: datetime) -> NotifyReply:
    """Shape-check and keep the raw notification, let the provider verify it, apply it once; answer its way."""
    name = NOTIFY_PATHS.get(provider)
    try:
        handler = provider_named(name or provider)
    except ProviderNotConfigured:
        return _plain_fail("provider not enabled", 404)  # nothing stored: anyone can call this URL
    try:
        check_shape(handler.name, headers, body, max_bytes=_max_bytes())
    except InvalidCallback as exc:
        log.info("payment_notification_refused", provider=handler.name.value, reason=exc.reason.value)
        return handler.rejected_reply("invalid notification", status=401 if exc.reason in _UNAUTHENTIC else 400)
    notification_id = _store_raw(provider, headers, body, now)
    try:
        event = handler.parse_callback(headers, body, now=now)
    except InvalidCallback as exc:
        _mark(notification_id, CallbackOutcome.REJECTED, detail=exc.reason.value)
        log.warning("payment_notification_rejected", provider=handler.name.value, reason=exc.reason.value)
        return handler.rejected_reply("invalid notification", status=401 if exc.reason in _UNAUTHENTIC else 400)
    settlement = apply_event(provider=handler.name, event=event, notification_id=notification_id, now=now)
    if settlement.outcome is CallbackOutcome.UNKNOWN_TRADE:
        return handler.rejected_reply("unknown trade", status=404)
    return handler.accepted_reply()


def _max_bytes() -> int:
    return min(settings().payment_notify_max_bytes, MAX_NOTIFY_BYTES)


def _store_raw(provider: str, headers: Mapping[str, str], body: bytes, now: datetime) -> int:
    """Every delivery of the right shape is kept (its own transaction, before any verification)."""
    kept = {str(k)[:100]: str(v)[:2000] for k, v in headers.items() if str(k).lower() not in _PRIVATE_HEADERS}
    with transaction():
        row = PaymentCallback(
            provider=provider[:32],
            received_at=now,
            headers=kept,
            body=body[:MAX_NOTIFY_BYTES],
            body_truncated=len(body) > MAX_NOTIFY_BYTES,
            outcome=CallbackOutcome.RECEIVED,
        )
        db.session.add(row)
        db.session.flush()  # the id names this delivery in the outcome update and the processed-event row
        return row.id


def _mark(
    notification_id: int,
    outcome: CallbackOutcome,
    *,
    detail: str | None = None,
    event_id: str | None = None,
    payment_id: int | None = None,
) -> None:
    with transaction():
        db.session.execute(
            update(PaymentCallback)
            .where(PaymentCallback.id == notification_id)
            .values(outcome=outcome, detail=detail, event_id=event_id and event_id[:100], payment_id=payment_id)
        )


def _plain_fail(message: str, status: int) -> NotifyReply:
    body = json.dumps({"code": "FAIL", "message": message}).encode()
    return NotifyReply(status=status, body=body, content_type="application/json")


def apply_event(
    *, provider: ProviderName, event: CallbackEvent, notification_id: int | None, now: datetime
) -> Settlement:
    """One verified event: the first delivery of its id acts, later ones are duplicates; state guards do the rest."""
    with transaction():
        if isinstance(event, IgnoredEvent):
            outcome, payment_id = Settlement(CallbackOutcome.IGNORED), None
        elif isinstance(event, PaymentSucceeded | PaymentFailed):
            outcome, payment_id = _payment_event(provider, event, notification_id, now)
        else:
            outcome, payment_id = _refund_event(event, notification_id, provider, now)
        if notification_id is not None:
            _mark(notification_id, outcome.outcome, event_id=event.event_id, payment_id=payment_id)
        return outcome


def _first_delivery(provider: ProviderName, event_id: str, notification_id: int | None, now: datetime) -> bool:
    """Claim the provider's event id; a concurrent or earlier claim makes this delivery a duplicate."""
    try:
        with db.session.begin_nested():
            db.session.add(
                ProcessedPaymentEvent(
                    provider=provider, event_id=event_id[:100], notification_id=notification_id, processed_at=now
                )
            )
            db.session.flush()  # the unique (provider, event_id) decides here, inside the savepoint
    except IntegrityError:
        return False
    return True


def _payment_event(
    provider: ProviderName, event: PaymentSucceeded | PaymentFailed, notification_id: int | None, now: datetime
) -> tuple[Settlement, int | None]:
    payment = db.session.scalar(
        select(Payment).where(Payment.out_trade_no == event.out_trade_no, Payment.provider == provider)
    )
    if payment is None:
        log.warning("payment_notification_unknown_trade", provider=provider.value)
        return Settlement(CallbackOutcome.UNKNOWN_TRADE), None
    if not _first_delivery(provider, event.event_id, notification_id, now):
        return Settlement(CallbackOutcome.DUPLICATE), payment.id
    if isinstance(event, PaymentFailed):
        closed = event.status is TradeStatus.CLOSED
        return record_failed_trade(payment=payment, now=now, closed=closed), payment.id
    trade = PaidTrade(
        amount_fen=event.amount_fen,
        transaction_id=event.transaction_id,
        mchid=event.mchid,
        appid=event.appid,
        paid_at=event.paid_at,
    )
    return settle_paid_trade(payment=payment, trade=trade, now=now), payment.id


def _refund_event(
    event: RefundSucceeded | RefundFailed, notification_id: int | None, provider: ProviderName, now: datetime
) -> tuple[Settlement, int | None]:
    refund_row = db.session.scalar(
        select(Refund)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.out_refund_no == event.out_refund_no, Payment.provider == provider)
    )
    if refund_row is None:
        log.warning("refund_notification_unknown_refund", provider=provider.value)
        return Settlement(CallbackOutcome.UNKNOWN_TRADE), None
    if not _first_delivery(provider, event.event_id, notification_id, now):
        return Settlement(CallbackOutcome.DUPLICATE), refund_row.payment_id
    if isinstance(event, RefundSucceeded):
        if event.refund_fen is not None and event.refund_fen != refund_row.amount_fen:
            log.warning("refund_amount_differs", refund_id=refund_row.id)
        refund_succeeded(
            refund_id=refund_row.id, provider_refund_id=event.refund_id, succeeded_at=event.succeeded_at, now=now
        )
    elif event.status is ProviderRefundStatus.CLOSED:
        refund_closed(refund_id=refund_row.id, now=now)
    else:
        refund_stuck(refund_id=refund_row.id, now=now)
    return Settlement(CallbackOutcome.APPLIED), refund_row.payment_id
