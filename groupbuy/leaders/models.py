"""Leader applications, leaders (pickup points) and the credit ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.db import ID, Base, enum_column
from groupbuy.leaders.enums import ApplicationStatus, CreditKind, LeaderStatus

DEFAULT_COMMISSION_RATE_BP = 1000  # 10 %
MIN_DELIVERY_RADIUS_M, MAX_DELIVERY_RADIUS_M = 100, 50_000


class LeaderApplication(Base):
    """A user's request to run a pickup point; CS/admin approve or reject it once."""

    __tablename__ = "leader_applications"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "leader_application_status"), default=ApplicationStatus.PENDING
    )
    display_name: Mapped[str] = mapped_column(String(40))
    real_name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20))
    pickup_point_name: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str] = mapped_column(String(100))
    licences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_leader_applications_user_created", "user_id", "created_at"),
        Index("ix_leader_applications_status_created", "status", "created_at"),
        # One pending application per user, whatever the isolation level.
        Index(
            "uq_leader_applications_one_pending",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lng >= -180 AND lng <= 180", name="lng_range"),
    )


class Leader(Base):
    """An approved leader and the pickup point they run."""

    __tablename__ = "leaders"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("leader_applications.id", ondelete="SET NULL"))
    display_name: Mapped[str] = mapped_column(String(40))
    real_name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20))
    pickup_point_name: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str] = mapped_column(String(100))
    status: Mapped[LeaderStatus] = mapped_column(
        enum_column(LeaderStatus, "leader_status"), default=LeaderStatus.ACTIVE
    )
    commission_rate_bp: Mapped[int] = mapped_column(Integer, default=DEFAULT_COMMISSION_RATE_BP)
    offers_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Home delivery only to addresses within this many metres of the point (None: no limit was set).
    delivery_radius_m: Mapped[int | None] = mapped_column(Integer)
    # The leader stopped taking orders for a while: checkouts through them answer 409 leader_paused.
    orders_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_bp: Mapped[int | None] = mapped_column(Integer)  # share of positive reviews x 10000; None: no reviews
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # ratings behind rating_bp
    credit_score: Mapped[int] = mapped_column(Integer, default=0)  # cached SUM(leader_credit_events.points)
    active_since: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        # Nearby search: equality on status, range on lat, lng filtered inside the index.
        Index("ix_leaders_status_lat_lng", "status", "lat", "lng"),
        CheckConstraint("commission_rate_bp >= 0 AND commission_rate_bp <= 10000", name="commission_rate_range"),
        CheckConstraint("delivery_fee_fen >= 0", name="delivery_fee_nonnegative"),
        CheckConstraint(
            f"delivery_radius_m IS NULL OR (delivery_radius_m >= {MIN_DELIVERY_RADIUS_M} "
            f"AND delivery_radius_m <= {MAX_DELIVERY_RADIUS_M})",
            name="delivery_radius_range",
        ),
        CheckConstraint("rating_bp IS NULL OR (rating_bp >= 0 AND rating_bp <= 10000)", name="rating_range"),
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
        CheckConstraint("lng >= -180 AND lng <= 180", name="lng_range"),
    )


class LeaderCreditEvent(Base):
    """One line of the credit ledger; (leader, kind, ref) is unique so writing it twice is a no-op."""

    __tablename__ = "leader_credit_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="CASCADE"))
    kind: Mapped[CreditKind] = mapped_column(enum_column(CreditKind, "leader_credit_kind"))
    points: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("leader_id", "kind", "ref"),)
