"""Line reviews (one per order line, one follow-up) and leader ratings (one per order)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.db import ID, Base


class Review(Base):
    """The buyer's review of one line of a completed order: stars, optional text and photos (upload ids).

    ``hidden_at`` set by CS (``hide_review``): the review leaves the public lists and every rating.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(String(1000), default="")
    photo_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    photo_count: Mapped[int] = mapped_column(Integer, default=0)
    follow_up_content: Mapped[str | None] = mapped_column(String(1000))
    follow_up_photo_ids: Mapped[list[int] | None] = mapped_column(JSON)
    follow_up_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        CheckConstraint("photo_count >= 0 AND photo_count <= 9", name="photo_count_range"),
        Index("ix_reviews_deal_created", "deal_id", "created_at"),
        Index("ix_reviews_leader_created", "leader_id", "created_at"),
        Index("ix_reviews_order_id", "order_id"),
        Index("ix_reviews_created_at", "created_at"),
    )


class LeaderRating(Base):
    """The buyer's 1-5 rating of the leader for one completed order, and the credit points it gave the leader."""

    __tablename__ = "leader_ratings"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    credit_points: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    hidden_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        CheckConstraint("credit_points IN (-2, 0, 2)", name="credit_points_values"),
        Index("ix_leader_ratings_leader_created", "leader_id", "created_at"),
    )
