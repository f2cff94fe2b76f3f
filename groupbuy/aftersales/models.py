"""After-sale requests on lines of a received order, their items and timeline, and the disputes CS decides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupbuy.aftersales.enums import (
    AfterSaleReason,
    AfterSaleStatus,
    AfterSaleType,
    Decision,
    DisputeStatus,
    EscalatedBy,
    Responsibility,
)
from groupbuy.db import ID, Base, enum_column
from groupbuy.orders.models import OrderLine
from groupbuy.uploads.service import upload_url, uploads_by_id


def photos(ids: list[int]) -> list[dict[str, object]]:
    """The photos of ``ids`` with their public URLs, in the order given (an upload purged since is left out)."""
    found = uploads_by_id(ids)
    return [{"id": i, "url": upload_url(found[i])} for i in ids if i in found]


class AfterSaleRequest(Base):
    __tablename__ = "after_sale_requests"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="RESTRICT"))
    type: Mapped[AfterSaleType] = mapped_column(enum_column(AfterSaleType, "after_sale_type"))
    reason: Mapped[AfterSaleReason] = mapped_column(enum_column(AfterSaleReason, "after_sale_reason"))
    description: Mapped[str | None] = mapped_column(String(500))  # the shopper's statement
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # what the shopper asks for
    images: Mapped[list[int]] = mapped_column(JSON, default=list)  # upload ids (the shopper's evidence)
    status: Mapped[AfterSaleStatus] = mapped_column(enum_column(AfterSaleStatus, "after_sale_status"))
    answer_due_at: Mapped[datetime]  # the leader answers before this, or the job escalates it
    leader_note: Mapped[str | None] = mapped_column(String(500))  # the leader's reason for a rejection
    answered_at: Mapped[datetime | None]
    refund_fen: Mapped[int | None] = mapped_column(BigInteger)  # granted (by the leader or by CS)
    order_refund_id: Mapped[int | None] = mapped_column(ForeignKey("order_refunds.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    items: Mapped[list[AfterSaleItem]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AfterSaleItem.id"
    )
    events: Mapped[list[AfterSaleEvent]] = relationship(order_by="AfterSaleEvent.id", viewonly=True)
    dispute: Mapped[Dispute | None] = relationship(viewonly=True, uselist=False)

    @property
    def photos(self) -> list[dict[str, object]]:
        return photos(self.images)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refund_fen IS NULL OR refund_fen >= 0", name="refund_nonnegative"),
        Index("ix_after_sale_requests_user_created", "user_id", "created_at"),
        Index("ix_after_sale_requests_leader_status", "leader_id", "status", "created_at"),
        Index("ix_after_sale_requests_status_due", "status", "answer_due_at"),
    )


class AfterSaleItem(Base):
    """A line of the request: ``quantity`` units go back (refunded at their price), or NULL: the goods are kept and
    an amount is refunded for them."""

    __tablename__ = "after_sale_items"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("after_sale_requests.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int | None] = mapped_column(Integer)

    request: Mapped[AfterSaleRequest] = relationship(back_populates="items")
    line: Mapped[OrderLine] = relationship(viewonly=True, lazy="joined")

    @property
    def order_item_id(self) -> int:
        return self.order_line_id

    @property
    def product_name(self) -> str:
        return self.line.product_name

    __table_args__ = (
        UniqueConstraint("request_id", "order_line_id", name="uq_after_sale_items_request_line"),
        CheckConstraint("quantity IS NULL OR quantity >= 1", name="quantity_positive"),
    )


class AfterSaleEvent(Base):
    """The request's (and its dispute's) timeline: one row per status change."""

    __tablename__ = "after_sale_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("after_sale_requests.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[AfterSaleStatus | None] = mapped_column(enum_column(AfterSaleStatus, "after_sale_event_from"))
    to_status: Mapped[AfterSaleStatus] = mapped_column(enum_column(AfterSaleStatus, "after_sale_event_to"))
    actor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime]


class Dispute(Base):
    """An escalated request in customer service's queue, ordered by its SLA; decided once."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("after_sale_requests.id", ondelete="RESTRICT"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="RESTRICT"))
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus, "dispute_status"))
    escalated_by: Mapped[EscalatedBy] = mapped_column(enum_column(EscalatedBy, "dispute_escalated_by"))
    statement: Mapped[str | None] = mapped_column(String(1000))  # the shopper's word on escalating
    images: Mapped[list[int]] = mapped_column(JSON, default=list)
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_due_at: Mapped[datetime]
    decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, "dispute_decision"))
    refund_fen: Mapped[int | None] = mapped_column(BigInteger)
    responsibility: Mapped[Responsibility | None] = mapped_column(enum_column(Responsibility, "dispute_responsibility"))
    note: Mapped[str | None] = mapped_column(String(1000))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    order_refund_id: Mapped[int | None] = mapped_column(ForeignKey("order_refunds.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def photos(self) -> list[dict[str, object]]:
        return photos(self.images)

    __table_args__ = (
        CheckConstraint("refund_fen IS NULL OR refund_fen >= 0", name="refund_nonnegative"),
        CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name="resolved_when_decided"),
        Index("ix_disputes_queue", "status", "priority", "sla_due_at"),
    )


__all__ = ["AfterSaleEvent", "AfterSaleItem", "AfterSaleRequest", "Dispute"]
