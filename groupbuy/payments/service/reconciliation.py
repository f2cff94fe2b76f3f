"""Reconciliation: ask the provider about payments still pending, so a lost notification still pays the order,
and close the attempts of orders that can no longer be paid."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, select

from groupbuy.db import db, transaction
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus
from groupbuy.payments.models import Payment
from groupbuy.payments.providers import (
    ErrorCode,
    PaymentProvider,
    ProviderError,
    ProviderNotConfigured,
    TradeQuery,
    TradeStatus,
    provider_for,
)
from groupbuy.payments.service.refunds import fresh_row
from groupbuy.payments.service.settlement import PaidTrade, record_failed_trade, settle_paid_trade
from groupbuy.settings import settings

log = structlog.get_logger(__name__)

PAID_STATES = frozenset({TradeStatus.SUCCESS, TradeStatus.REFUND})


def payments_to_reconcile(*, now: datetime, limit: int = 200) -> list[int]:
    """Pending payments older than PAYMENT_RECONCILE_AFTER_MINUTES, or whose order can no longer be paid."""
    minutes = settings().payment_reconcile_after_minutes
    query = (
        select(Payment.id)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.status == PaymentStatus.PENDING,
            or_(
                Payment.created_at <= now - timedelta(minutes=minutes),
                Order.status != OrderStatus.PENDING_PAYMENT,
                Order.pay_before <= now,
            ),
        )
        .order_by(Payment.id)
        .limit(limit)
    )
    with transaction():  # ends the read: the provider calls that follow hold no transaction open
        return list(db.session.scalars(query))


def reconcile_payment(*, payment_id: int, now: datetime) -> str:
    """One pending payment: SUCCESS takes the notification's path; NOTPAY of a dead order is closed; errors wait."""
    with transaction():  # a short read; no transaction is held across the outbound calls
        payment = fresh_row(Payment, payment_id)
        if payment.status is not PaymentStatus.PENDING:
            return "unchanged"
        order = fresh_row(Order, payment.order_id)
        payable = order.status is OrderStatus.PENDING_PAYMENT and order.pay_before > now
    try:
        provider = provider_for(payment.channel)
        answer = provider.query(payment.out_trade_no, placed_at=payment.created_at)
        if answer.status in PAID_STATES:
            return _paid(payment, answer, now)
        if answer.status in (TradeStatus.CLOSED, TradeStatus.PAYERROR):
            record_failed_trade(payment=payment, now=now, closed=answer.status is TradeStatus.CLOSED)
            return "closed"
        return "pending" if payable else _close(provider, payment, now)
    except ProviderNotConfigured:
        log.warning("reconcile_channel_unavailable", payment_id=payment_id, channel=payment.channel.value)
        return "error"
    except ProviderError as exc:
        log.warning("reconcile_provider_error", payment_id=payment_id, error_code=exc.code)
        return "error"


def _paid(payment: Payment, answer: TradeQuery, now: datetime) -> str:
    if answer.amount_fen is None:
        log.warning("reconcile_paid_without_amount", payment_id=payment.id)
        return "error"
    trade = PaidTrade(
        amount_fen=answer.amount_fen,
        transaction_id=answer.transaction_id or "",
        mchid=payment.merchant_id,  # the signed query answer is about our own merchant
        appid=payment.app_id,
        paid_at=answer.paid_at,
    )
    outcome = settle_paid_trade(payment=payment, trade=trade, now=now).outcome
    return {CallbackOutcome.LATE_PAYMENT: "late_payment", CallbackOutcome.FLAGGED: "flagged"}.get(outcome, "paid")


def _close(provider: PaymentProvider, payment: Payment, now: datetime) -> str:
    """Stop an unpaid attempt of a dead order; if the buyer won the race, the payment takes the paid path."""
    try:
        provider.close(payment.out_trade_no, placed_at=payment.created_at)
    except ProviderError as exc:
        if exc.code == ErrorCode.ALREADY_PAID:
            answer = provider.query(payment.out_trade_no, placed_at=payment.created_at)
            return _paid(payment, answer, now) if answer.status in PAID_STATES else "error"
        if exc.code != ErrorCode.TRADE_NOT_FOUND:  # not found: an unpaid Alipay / UnionPay QR dies at its timeout
            raise
    record_failed_trade(payment=payment, now=now, closed=True)
    return "closed"
