"""Payments (one row per attempt: order × channel × try), refunds, raw provider notifications, processed events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.db import ID, Base, enum_column
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus, RefundSource, RefundState
from groupbuy.payments.providers.base import PaymentChannel, ProviderName

_LIVE = text("status = 'pending'")


class Payment(Base):
    """A trade placed with a provider for one order; ``out_trade_no`` never changes once written."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    channel: Mapped[PaymentChannel] = mapped_column(enum_column(PaymentChannel, "payment_channel"))
    provider: Mapped[ProviderName] = mapped_column(enum_column(ProviderName, "payment_provider"))
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus, "payment_status"))
    merchant_id: Mapped[str] = mapped_column(String(64))  # the mchid / seller a genuine payment names
    app_id: Mapped[str] = mapped_column(String(64))
    code_url: Mapped[str | None] = mapped_column(String(500))
    prepay_id: Mapped[str | None] = mapped_column(String(128))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    applied_to_order: Mapped[bool] = mapped_column(Boolean, default=False)  # this payment paid the order
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # reserved by refund requests (not closed)
    flag_reason: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        # At most one live attempt per order and channel, whatever the concurrency.
        Index(
            "uq_payments_live_order_channel",
            "order_id",
            "channel",
            unique=True,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        Index("ix_payments_status_created", "status", "created_at"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refunds_within_amount"),
    )


class Refund(Base):
    """One refund request: its ``out_refund_no`` is reused by every retry, so the provider refunds it once."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    out_refund_no: Mapped[str] = mapped_column(String(64), unique=True)
    request_key: Mapped[str | None] = mapped_column(String(100), unique=True)  # one refund per business decision
    # The order's refund (its lines' units) this sends back; None for late payments and direct refunds.
    order_refund_id: Mapped[int | None] = mapped_column(ForeignKey("order_refunds.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[RefundSource] = mapped_column(enum_column(RefundSource, "refund_source"))
    status: Mapped[RefundState] = mapped_column(enum_column(RefundState, "refund_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(String(40))
    succeeded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_refunds_status_next_attempt", "status", "next_attempt_at"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
    )


class PaymentCallback(Base):
    """Every provider callback as received (before verification); the table keeps its first name. Never exposed
    through the API."""

    __tablename__ = "payment_notifications"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))  # as named by the URL (may be a provider we do not enable)
    received_at: Mapped[datetime]
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[CallbackOutcome] = mapped_column(enum_column(CallbackOutcome, "notification_outcome"))
    detail: Mapped[str | None] = mapped_column(String(100))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), index=True)

    __table_args__ = (Index("ix_payment_notifications_received_at", "received_at"),)


class ProcessedPaymentEvent(Base):
    """A provider event id that has been acted on: the first delivery wins, the rest are duplicates."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    provider: Mapped[ProviderName] = mapped_column(enum_column(ProviderName, "payment_event_provider"))
    event_id: Mapped[str] = mapped_column(String(100))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_notifications.id", ondelete="SET NULL"), index=True
    )
    processed_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_payment_events_provider_event"),)
