"""The coupon centre: what a shopper may claim, claiming, and the wallet.

A claim moves three counters with conditional statements and never a lock that depends on isolation: the
shopper's count for the template (≤ per_user_limit), their count for the month (≤ their tier's allowance;
new-leader coupons aside) and the template's claimed_quantity (≤ total_quantity), the hottest row, last.
Each is one `INSERT … ON CONFLICT DO UPDATE … WHERE <stays within>` or `UPDATE … WHERE <stays within>`;
the row count says whether it moved, and any refusal rolls the claim back whole.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update

from groupbuy.coupons.enums import CouponScope, UserCouponStatus, WalletStatus
from groupbuy.coupons.models import CouponClaimCount, CouponMonthlyClaims, CouponTemplate, UserCoupon
from groupbuy.coupons.service.tiers import coupon_rights
from groupbuy.db import connection, db, transaction, upsert_insert
from groupbuy.errors import Conflict, NotFound

SHANGHAI = ZoneInfo("Asia/Shanghai")


def month_of(now: datetime) -> str:
    return now.astimezone(SHANGHAI).strftime("%Y-%m")


@dataclass(frozen=True)
class Claimable:
    template: CouponTemplate
    claimed_by_me: int

    @property
    def left(self) -> int:
        return self.template.total_quantity - self.template.claimed_quantity


def available_templates(*, user_id: int, now: datetime) -> list[Claimable]:
    """Templates the shopper may claim now: active, not ended, not claimed out, their tier allowed, their own
    per-user count not reached (the monthly allowance is checked at the claim)."""
    rights = coupon_rights(user_id=user_id, now=now)
    mine: dict[int, int] = {
        row.template_id: row.claimed
        for row in db.session.execute(
            select(CouponClaimCount.template_id, CouponClaimCount.claimed).where(CouponClaimCount.user_id == user_id)
        )
    }
    templates = db.session.scalars(
        select(CouponTemplate)
        .where(
            CouponTemplate.active.is_(True),
            CouponTemplate.valid_until > now,
            CouponTemplate.claimed_quantity < CouponTemplate.total_quantity,
        )
        .order_by(CouponTemplate.valid_until, CouponTemplate.id)
    ).all()
    return [
        Claimable(template=t, claimed_by_me=mine.get(t.id, 0))
        for t in templates
        if mine.get(t.id, 0) < t.per_user_limit
        and (not t.tiers_allowed or rights.tier in t.tiers_allowed)
        and (t.scope is not CouponScope.NEW_LEADER or rights.new_leader_coupon)
    ]


@functools.cache
def _count_for_template(dialect_name: str) -> Any:
    statement = upsert_insert(dialect_name, CouponClaimCount)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "template_id"],
        set_={"claimed": CouponClaimCount.claimed + 1},
        where=CouponClaimCount.claimed + 1 <= bindparam("limit"),
    ).returning(CouponClaimCount.claimed)


@functools.cache
def _count_for_month(dialect_name: str) -> Any:
    statement = upsert_insert(dialect_name, CouponMonthlyClaims)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "month"],
        set_={"claimed": CouponMonthlyClaims.claimed + 1},
        where=CouponMonthlyClaims.claimed + 1 <= bindparam("allowance"),
    ).returning(CouponMonthlyClaims.claimed)


_TAKE_ONE = (
    update(CouponTemplate)
    .where(
        CouponTemplate.id == bindparam("template_id"),
        CouponTemplate.claimed_quantity < CouponTemplate.total_quantity,
        CouponTemplate.active.is_(True),
        CouponTemplate.valid_until > bindparam("now"),
    )
    .values(claimed_quantity=CouponTemplate.claimed_quantity + 1, updated_at=bindparam("now"))
)
_ADD_COUPON = insert(UserCoupon).returning(UserCoupon.id)


def claim_coupon(*, user_id: int, template_id: int, now: datetime) -> WalletCoupon:
    """One coupon of the template into the shopper's wallet, within every limit, or a 409 saying which."""
    with transaction():
        template = db.session.get(CouponTemplate, template_id)
        if template is None:
            raise NotFound()
        if not template.active:
            raise Conflict("coupon_not_claimable")
        if now >= template.valid_until:
            raise Conflict("coupon_expired")
        rights = coupon_rights(user_id=user_id, now=now)
        if template.tiers_allowed and rights.tier not in template.tiers_allowed:
            raise Conflict("coupon_tier_not_allowed")
        if template.scope is CouponScope.NEW_LEADER and not rights.new_leader_coupon:
            raise Conflict("coupon_tier_not_allowed")
        if template.claimed_quantity >= template.total_quantity:  # a lock-free early "no"; the UPDATE decides
            raise Conflict("coupon_claimed_out")
        conn = connection()
        counted = conn.execute(
            _count_for_template(conn.dialect.name),
            {"user_id": user_id, "template_id": template_id, "claimed": 1, "limit": template.per_user_limit},
        ).first()
        if counted is None:
            raise Conflict("coupon_claim_limit")
        if template.scope is not CouponScope.NEW_LEADER:
            allowance = rights.monthly_coupon_allowance
            within = (
                allowance >= 1
                and conn.execute(
                    _count_for_month(conn.dialect.name),
                    {"user_id": user_id, "month": month_of(now), "claimed": 1, "allowance": allowance},
                ).first()
            )
            if not within:
                raise Conflict(
                    "coupon_monthly_allowance_used",
                    detail=(
                        f"本月领券额度（{allowance} 张）已用完",
                        f"This month's coupon allowance ({allowance}) is used up",
                    ),
                )
        if conn.execute(_TAKE_ONE, {"template_id": template_id, "now": now}).rowcount != 1:
            raise Conflict("coupon_claimed_out")
        values = {
            "template_id": template_id,
            "user_id": user_id,
            "status": UserCouponStatus.AVAILABLE,
            "order_id": None,
            "claimed_at": now,
            "locked_at": None,
            "used_at": None,
        }
        coupon_id = conn.execute(_ADD_COUPON, values).scalar_one()
        coupon = UserCoupon(id=coupon_id, **values)
        return WalletCoupon(coupon=coupon, template=template, wallet_status=WalletStatus.AVAILABLE)


@dataclass(frozen=True)
class WalletCoupon:
    coupon: UserCoupon
    template: CouponTemplate
    wallet_status: WalletStatus

    @property
    def id(self) -> int:
        return self.coupon.id


def wallet_status(status: UserCouponStatus, valid_until: datetime, now: datetime) -> WalletStatus:
    if status is UserCouponStatus.AVAILABLE and now >= valid_until:
        return WalletStatus.EXPIRED
    return WalletStatus(status.value)


def wallet(*, user_id: int, status: WalletStatus | None, now: datetime) -> list[WalletCoupon]:
    """The shopper's coupons, newest first, each as available, locked (by an unpaid order), used or expired."""
    rows = db.session.execute(
        select(UserCoupon, CouponTemplate)
        .join(CouponTemplate, CouponTemplate.id == UserCoupon.template_id)
        .where(UserCoupon.user_id == user_id)
        .order_by(UserCoupon.claimed_at.desc(), UserCoupon.id.desc())
        .limit(500)
    ).all()
    coupons = [
        WalletCoupon(coupon=c, template=t, wallet_status=wallet_status(c.status, t.valid_until, now)) for c, t in rows
    ]
    return [c for c in coupons if status is None or c.wallet_status is status]
