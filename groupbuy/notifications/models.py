"""In-app notifications (the record of truth), the outbox of outbound messages, the cached WeChat token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.db import ID, Base, enum_column
from groupbuy.notifications.enums import OutboxStatus, Transport


class Notification(Base):
    """What a user sees in the app; ``dedupe_key`` makes every notice exist once, however often a job runs."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # a NotificationKind; a string so domains can add kinds
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at"),)


class OutboxMessage(Base):
    """One outbound delivery; for a notification at most one row (so one successful send) per transport."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    # The column keeps its name "channel"; in code "channel" means a payment channel only.
    transport: Mapped[Transport] = mapped_column("channel", enum_column(Transport, "outbox_channel"))
    target: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # A deliverer's lease: set in a committed claim before the send, so no other deliverer takes the row.
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        UniqueConstraint("notification_id", "channel", name="uq_outbox_messages_notification_channel"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
    )


class WeChatAccessToken(Base):
    """The server access_token per appid; only the scheduler process refreshes it, everyone else reads."""

    __tablename__ = "wechat_access_tokens"

    appid: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(String(1024))  # WeChat: reserve at least 512 characters
    expires_at: Mapped[datetime]
    refreshed_at: Mapped[datetime]
