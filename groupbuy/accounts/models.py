"""Users, roles, bearer tokens, WeChat identities, verification codes, addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupbuy.accounts.enums import CodeChannel, CodePurpose, Role, Tier, UserStatus
from groupbuy.db import ID, Base, enum_column


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    nickname: Mapped[str] = mapped_column(String(40), default="")
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[UserStatus] = mapped_column(enum_column(UserStatus, "user_status"), default=UserStatus.ACTIVE)
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "user_tier"), default=Tier.SEED)
    login_failures: Mapped[int] = mapped_column(Integer, default=0)
    login_failure_window_start: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # the owner closed the account (status closed)
    # The leader this shopper currently shops with; use_alter: leaders.user_id points back here.
    current_leader_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id", ondelete="SET NULL", use_alter=True))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    roles: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (CheckConstraint("login_failures >= 0", name="login_failures_nonnegative"),)

    @property
    def role_names(self) -> set[Role]:
        return {r.role for r in self.roles}


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)
    granted_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="roles")


class AuthToken(Base):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WeChatIdentity(Base):
    """openid ↔ user; session_key stays here and never leaves the server."""

    __tablename__ = "wechat_identities"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    session_key: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class VerificationCode(Base):
    """A 6-digit code, stored as an HMAC, bound to target and purpose; single use, 5 tries."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    channel: Mapped[CodeChannel] = mapped_column(enum_column(CodeChannel, "code_channel"))
    target: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[CodePurpose] = mapped_column(enum_column(CodePurpose, "code_purpose"))
    code_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_verification_codes_target_purpose_created", "target", "purpose", "created_at"),
        Index("ix_verification_codes_ip_created", "ip", "created_at"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
    )


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_addresses_user_id", "user_id", "created_at"),
        # At most one default per user, whatever the isolation level.
        Index(
            "uq_addresses_one_default",
            "user_id",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng >= -180 AND lng <= 180)", name="lng_range"),
    )
