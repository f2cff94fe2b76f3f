"""The tiers and their benefits (data), each shopper's standing, and the fast refunds they have used."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.accounts.enums import Tier
from groupbuy.db import Base, enum_column


class MembershipTier(Base):
    """One tier: the yearly spend that reaches it and what it unlocks. Rows, not branches: a benefit is read from
    here (groupbuy.membership.service.benefits_of), never decided by comparing tier names."""

    __tablename__ = "membership_tiers"

    code: Mapped[Tier] = mapped_column(enum_column(Tier, "membership_tier_code"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, unique=True)  # 0 = the lowest; a tier allows what lower ones allow
    name_zh: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(40))
    # Paid minus refunded over the last 12 months (fen) that reaches this tier.
    threshold_fen: Mapped[int] = mapped_column(BigInteger)
    member_price_enabled: Mapped[bool] = mapped_column(Boolean)
    monthly_coupon_allowance: Mapped[int] = mapped_column(Integer)
    new_leader_coupon: Mapped[bool] = mapped_column(Boolean)
    fast_refund_limit_fen: Mapped[int] = mapped_column(BigInteger)  # 0 = no fast refund
    fast_refund_monthly_cap: Mapped[int] = mapped_column(Integer)
    order_protection_days: Mapped[int] = mapped_column(Integer)  # 0 = the normal after-sale window
    priority_service: Mapped[bool] = mapped_column(Boolean)
    dispute_sla_hours: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("rank >= 0 AND threshold_fen >= 0", name="rank_threshold_nonnegative"),
        CheckConstraint(
            "monthly_coupon_allowance >= 0 AND fast_refund_limit_fen >= 0 AND fast_refund_monthly_cap >= 0"
            " AND order_protection_days >= 0 AND dispute_sla_hours >= 1",
            name="benefits_in_range",
        ),
    )


class Membership(Base):
    """A shopper's standing: the tier earned by spend (recomputed), a CS grant over it, and the last downgrade.

    The effective tier (the higher of earned and a live grant) is also written to ``users.tier`` so lower floors
    (checkout, the account) read it without asking membership.
    """

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    earned_tier: Mapped[Tier] = mapped_column(enum_column(Tier, "membership_earned_tier"))
    spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    computed_at: Mapped[datetime]
    last_downgraded_at: Mapped[datetime | None]
    granted_tier: Mapped[Tier | None] = mapped_column(enum_column(Tier, "membership_granted_tier"))
    granted_until: Mapped[datetime | None]
    grant_reason: Mapped[str | None] = mapped_column(String(200))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_memberships_computed_at", "computed_at"),)


class FastRefundMonth(Base):
    """Fast refunds a shopper used in one calendar month (Asia/Shanghai): the cap is checked on this row by one
    conditional statement, so concurrent cancellations never pass it."""

    __tablename__ = "fast_refund_months"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the month
    used: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("used >= 0", name="used_nonnegative"),)
