"""Coupon templates (the platform's), the coupons shoppers claimed from them, and the claim counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.coupons.enums import CouponKind, CouponScope, UserCouponStatus
from groupbuy.db import ID, Base, enum_column


class CouponTemplate(Base):
    """What a coupon gives, where, when, to whom, and how many: claimed_quantity counts up to total_quantity."""

    __tablename__ = "coupon_templates"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[CouponKind] = mapped_column(enum_column(CouponKind, "coupon_kind"))
    amount_off_fen: Mapped[int | None] = mapped_column(BigInteger)
    percent_off: Mapped[int | None] = mapped_column(Integer)
    max_discount_fen: Mapped[int | None] = mapped_column(BigInteger)  # the cap of a percent-off coupon
    min_spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # of the lines in scope
    scope: Mapped[CouponScope] = mapped_column(enum_column(CouponScope, "coupon_scope"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="RESTRICT"))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    total_quantity: Mapped[int] = mapped_column(Integer)
    claimed_quantity: Mapped[int] = mapped_column(Integer, default=0)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    # Membership tier codes that may claim and use it; empty: every tier.
    tiers_allowed: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Stored for the day coupons stack; today an order takes one coupon whatever this says.
    stackable: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # claimable (the admin may stop it)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(
            "(kind = 'amount_off' AND amount_off_fen > 0 AND percent_off IS NULL AND max_discount_fen IS NULL)"
            " OR (kind = 'percent_off' AND amount_off_fen IS NULL AND percent_off BETWEEN 1 AND 99"
            " AND max_discount_fen > 0)",
            name="kind_amounts",
        ),
        CheckConstraint(
            "(scope = 'category') = (category_id IS NOT NULL) AND (scope = 'deal') = (deal_id IS NOT NULL)",
            name="scope_target",
        ),
        CheckConstraint("min_spend_fen >= 0", name="min_spend_nonnegative"),
        CheckConstraint("valid_until > valid_from", name="window"),
        CheckConstraint(
            "total_quantity >= 1 AND claimed_quantity >= 0 AND claimed_quantity <= total_quantity",
            name="claimed_within_total",
        ),
        CheckConstraint("per_user_limit >= 1", name="per_user_limit_positive"),
    )


class UserCoupon(Base):
    """One coupon in a shopper's wallet; an order locks it (order_id), payment uses it, expiry or an unpaid
    cancellation puts it back. order_id is written by orders (no foreign key: orders ranks above coupons)."""

    __tablename__ = "user_coupons"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[UserCouponStatus] = mapped_column(
        enum_column(UserCouponStatus, "user_coupon_status"), default=UserCouponStatus.AVAILABLE
    )
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime]
    locked_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_user_coupons_user_status", "user_id", "status"),
        Index("ix_user_coupons_order_id", "order_id"),
        CheckConstraint("(status = 'available') = (order_id IS NULL)", name="order_while_held"),
    )


class CouponClaimCount(Base):
    """Coupons a shopper claimed from one template: counted up by a conditional upsert, never past per_user_limit."""

    __tablename__ = "coupon_claim_counts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id", ondelete="CASCADE"), primary_key=True)
    claimed: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("claimed >= 1", name="claimed_positive"),)


class CouponMonthlyClaims(Base):
    """Coupons a shopper claimed in one Shanghai calendar month (YYYY-MM), never past their tier's allowance."""

    __tablename__ = "coupon_monthly_claims"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    claimed: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("claimed >= 1", name="claimed_positive"),)
