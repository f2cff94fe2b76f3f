"""Conversations (one per shopper and leader, one per shopper with customer service) and their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupbuy.db import ID, Base, enum_column
from groupbuy.messaging.enums import ConversationKind, Side

MAX_TEXT = 1000  # characters of one message
MAX_IMAGES = 9  # photos of one message


class Conversation(Base):
    """A thread between a shopper and a leader or customer service; read markers and notice times per side."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[ConversationKind] = mapped_column(enum_column(ConversationKind, "conversation_kind"))
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id", ondelete="CASCADE"))
    # The newest message id each side has read (0: none); unread = the other side's messages above it.
    shopper_read_id: Mapped[int] = mapped_column(BigInteger, default=0)
    staff_read_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # When each side was last told of a new message (the notice rate limit).
    shopper_notified_at: Mapped[datetime | None]
    staff_notified_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("shopper_id", "leader_id", name="uq_conversations_shopper_leader"),
        # One customer-service conversation per shopper, whatever the isolation level.
        Index(
            "uq_conversations_one_cs",
            "shopper_id",
            unique=True,
            postgresql_where=text("kind = 'cs'"),
            sqlite_where=text("kind = 'cs'"),
        ),
        Index("ix_conversations_leader_last", "leader_id", "last_message_at"),
        Index("ix_conversations_kind_last", "kind", "last_message_at"),
        CheckConstraint(
            "(kind = 'leader' AND leader_id IS NOT NULL) OR (kind = 'cs' AND leader_id IS NULL)",
            name="leader_matches_kind",
        ),
        CheckConstraint("shopper_read_id >= 0 AND staff_read_id >= 0", name="read_ids_nonnegative"),
    )


class Message(Base):
    """One message: text (blanked when its sender closes their account), optionally about one order."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side, "message_side"))
    body: Mapped[str] = mapped_column(String(MAX_TEXT), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]  # the sender closed their account: the text and photos are gone

    images: Mapped[list[MessageImage]] = relationship(
        lazy="selectin", order_by="MessageImage.position", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_messages_conversation_id", "conversation_id", "id"),
        CheckConstraint(f"length(body) <= {MAX_TEXT}", name="body_length"),
    )


class MessageImage(Base):
    """A photo of a message: one of the sender's uploads, in the order they were given."""

    __tablename__ = "message_images"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)

    __table_args__ = (
        CheckConstraint(f"position >= 0 AND position < {MAX_IMAGES}", name="position_range"),
        UniqueConstraint("message_id", "upload_id", name="uq_message_images_message_upload"),
    )
