"""A coupon at checkout: its terms read with checkout's own first read, validated, its discount spread over the
lines to the fen; locked by the order with one conditional UPDATE, used on payment, put back when the unpaid
order is cancelled or expires.

Spreading rule: the discount goes to the lines in the coupon's scope, pro rata to their totals, rounded down
to the fen; the fen left over go one each to the lines with the largest remainders (ties: the earlier line).
So Σ line discounts = the order's discount exactly, and no line gets more than its own total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    column,
    exists,
    false,
    select,
    table,
    update,
)

from groupbuy.coupons.enums import CouponKind, CouponScope, UserCouponStatus
from groupbuy.coupons.models import CouponTemplate, UserCoupon
from groupbuy.coupons.service.tiers import shopper_tier
from groupbuy.db import connection, transaction
from groupbuy.errors import Conflict, NotFound

# The orders table by name (orders ranks above coupons): is this the shopper's first order with a leader?
_ORDERS = table("orders", column("id"), column("user_id"), column("leader_id"), column("status"))
_NOT_COUNTED = "cancelled"  # orders that were never placed for real do not make a shopper "returning"


def returning_shopper(user_id: Any, leader_id: Any) -> ColumnElement[bool]:
    """True when the shopper already has an order with this leader (a new-leader coupon no longer applies)."""
    return exists(
        select(_ORDERS.c.id).where(
            _ORDERS.c.user_id == user_id,
            _ORDERS.c.leader_id == leader_id,
            _ORDERS.c.status != _NOT_COUNTED,
        )
    )


COUPON_COLUMNS = (
    UserCoupon.id.label("coupon_id"),
    UserCoupon.status.label("coupon_status"),
    CouponTemplate.id.label("coupon_template_id"),
    CouponTemplate.name.label("coupon_name"),
    CouponTemplate.kind.label("coupon_kind"),
    CouponTemplate.amount_off_fen.label("coupon_amount_off_fen"),
    CouponTemplate.percent_off.label("coupon_percent_off"),
    CouponTemplate.max_discount_fen.label("coupon_max_discount_fen"),
    CouponTemplate.min_spend_fen.label("coupon_min_spend_fen"),
    CouponTemplate.scope.label("coupon_scope"),
    CouponTemplate.category_id.label("coupon_category_id"),
    CouponTemplate.deal_id.label("coupon_deal_id"),
    CouponTemplate.valid_from.label("coupon_valid_from"),
    CouponTemplate.valid_until.label("coupon_valid_until"),
    CouponTemplate.tiers_allowed.label("coupon_tiers_allowed"),
)


def with_coupon(statement: Select[Any], *, user_id: Any, leader_id: Any) -> Select[Any]:
    """``statement`` (one row: the shopper and the chosen leader) with the coupon ``:coupon_id`` of that shopper
    joined in: its terms (NULL when it is not theirs) and whether a new-leader coupon still applies."""
    first_order = case(
        (CouponTemplate.scope == CouponScope.NEW_LEADER, ~returning_shopper(user_id, leader_id)), else_=false()
    )
    return (
        statement.add_columns(*COUPON_COLUMNS, first_order.label("coupon_first_order"))
        .outerjoin(
            UserCoupon,
            and_(UserCoupon.id == bindparam("coupon_id", type_=BigInteger), UserCoupon.user_id == user_id),
        )
        .outerjoin(CouponTemplate, CouponTemplate.id == UserCoupon.template_id)
    )


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon gives and where: a template's terms as one coupon in a wallet carries them."""

    id: int
    status: UserCouponStatus
    template_id: int
    name: str
    kind: CouponKind
    amount_off_fen: int | None
    percent_off: int | None
    max_discount_fen: int | None
    min_spend_fen: int
    scope: CouponScope
    category_id: int | None
    deal_id: int | None
    valid_from: datetime
    valid_until: datetime
    tiers_allowed: list[str]

    @classmethod
    def of_row(cls, row: Any) -> CouponTerms | None:
        """From a row read with COUPON_COLUMNS; None when no coupon of the shopper was found."""
        if row.coupon_id is None:
            return None
        return cls(**{name: getattr(row, f"coupon_{name}") for name in _TERM_FIELDS})


_TERM_FIELDS = (
    "id",
    "status",
    "template_id",
    "name",
    "kind",
    "amount_off_fen",
    "percent_off",
    "max_discount_fen",
    "min_spend_fen",
    "scope",
    "category_id",
    "deal_id",
    "valid_from",
    "valid_until",
    "tiers_allowed",
)


@dataclass(frozen=True)
class PricedLine:
    """A line as a coupon sees it."""

    deal_id: int
    category_id: int
    line_total_fen: int


def spread(total_fen: int, weights: Sequence[int]) -> list[int]:
    """``total_fen`` split pro rata to ``weights`` (largest remainder): the parts add up to it exactly, none
    exceeds its weight while the total does not exceed Σ weights."""
    base = sum(weights)
    if total_fen <= 0 or base <= 0:
        return [0] * len(weights)
    if total_fen > base:
        raise ValueError("cannot spread more than the weights hold")
    parts = [total_fen * w // base for w in weights]
    left = total_fen - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total_fen * weights[i] % base), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def in_scope(terms: CouponTerms, line: PricedLine) -> bool:
    if terms.scope is CouponScope.CATEGORY:
        return line.category_id == terms.category_id
    if terms.scope is CouponScope.DEAL:
        return line.deal_id == terms.deal_id
    return True


def discount_of(terms: CouponTerms, eligible_fen: int) -> int:
    """What the coupon takes off ``eligible_fen`` of goods in its scope (never more than that)."""
    if terms.kind is CouponKind.AMOUNT_OFF:
        return min(int(terms.amount_off_fen or 0), eligible_fen)
    off = eligible_fen * int(terms.percent_off or 0) // 100
    return min(off, int(terms.max_discount_fen or 0), eligible_fen)


def line_discounts(
    terms: CouponTerms | None,
    lines: Sequence[PricedLine],
    *,
    user_id: int,
    first_order: bool,
    now: datetime,
    tier: str | None = None,
) -> list[int]:
    """Validate the shopper's coupon for these lines (each refusal its own code) and spread its discount."""
    if terms is None:
        raise NotFound("coupon_not_found")
    if terms.status is not UserCouponStatus.AVAILABLE:
        raise Conflict("coupon_unavailable")
    if now < terms.valid_from:
        raise Conflict("coupon_not_started")
    if now >= terms.valid_until:
        raise Conflict("coupon_expired")
    if terms.tiers_allowed:
        tier = tier if tier is not None else shopper_tier(user_id=user_id, now=now)
        if tier not in terms.tiers_allowed:
            raise Conflict("coupon_tier_not_allowed")
    if terms.scope is CouponScope.NEW_LEADER and not first_order:
        raise Conflict("coupon_new_leader_only")
    eligible = [line.line_total_fen if in_scope(terms, line) else 0 for line in lines]
    if not any(eligible):
        raise Conflict("coupon_out_of_scope")
    if sum(eligible) < terms.min_spend_fen:
        raise Conflict(
            "coupon_min_spend_not_met",
            detail=(
                f"适用商品满 {terms.min_spend_fen / 100:.2f} 元可用",
                f"Usable on ¥{terms.min_spend_fen / 100:.2f} or more of the goods it covers",
            ),
        )
    return spread(discount_of(terms, sum(eligible)), eligible)


_LOCK = (
    update(UserCoupon)
    .where(
        UserCoupon.id == bindparam("wallet_id"),
        UserCoupon.user_id == bindparam("owner_id"),
        UserCoupon.status == UserCouponStatus.AVAILABLE,
    )
    .values(status=UserCouponStatus.LOCKED, order_id=bindparam("by_order"), locked_at=bindparam("at"))
)


def lock_coupon_after(gate: CTE, *, order_id: ColumnElement[int]) -> Any:
    """lock_coupon's UPDATE for a statement that writes several things at once (checkout's single-line order on
    PostgreSQL): bound ``wallet_id``, ``owner_id`` and ``at``, the order's id given as an expression, it returns
    the coupon's id (no row: not available), and it runs only once ``gate`` has returned a row."""
    return _LOCK.where(exists(gate.select())).values(order_id=order_id).returning(UserCoupon.id)


def lock_coupon(*, coupon_id: int, user_id: int, order_id: int, now: datetime) -> None:
    """The order takes the coupon: one conditional UPDATE, so of two checkouts with one coupon exactly one wins."""
    with transaction():
        locked = connection().execute(
            _LOCK, {"wallet_id": coupon_id, "owner_id": user_id, "by_order": order_id, "at": now}
        )
        if locked.rowcount != 1:
            raise Conflict("coupon_unavailable")


def use_coupons(*, order_ids: Sequence[int], now: datetime) -> int:
    """The orders were paid: their locked coupons are used (for good: a later refund never gives one back)."""
    if not order_ids:
        return 0
    with transaction():
        result = connection().execute(
            update(UserCoupon)
            .where(UserCoupon.order_id.in_(list(order_ids)), UserCoupon.status == UserCouponStatus.LOCKED)
            .values(status=UserCouponStatus.USED, used_at=now)
        )
        return int(result.rowcount)


def release_coupons(*, order_ids: Sequence[int]) -> int:
    """The unpaid orders were cancelled or expired: their locked coupons go back to the wallet."""
    if not order_ids:
        return 0
    with transaction():
        result = connection().execute(
            update(UserCoupon)
            .where(UserCoupon.order_id.in_(list(order_ids)), UserCoupon.status == UserCouponStatus.LOCKED)
            .values(status=UserCouponStatus.AVAILABLE, order_id=None, locked_at=None)
        )
        return int(result.rowcount)


@dataclass(frozen=True)
class BestCoupon:
    coupon_id: int
    name: str
    discount_fen: int


def best_coupon(
    *, user_id: int, leader_id: int | None, lines: Sequence[PricedLine], now: datetime
) -> BestCoupon | None:
    """Of the shopper's usable coupons, the one that takes the most off these lines (ties: the one ending first)."""
    if not lines:
        return None
    first_order = ~returning_shopper(bindparam("user_id"), bindparam("leader_id")) if leader_id is not None else false()
    rows = (
        connection()
        .execute(
            select(*COUPON_COLUMNS, first_order.label("coupon_first_order"))
            .join(CouponTemplate, CouponTemplate.id == UserCoupon.template_id)
            .where(
                UserCoupon.user_id == bindparam("user_id"),
                UserCoupon.status == UserCouponStatus.AVAILABLE,
                CouponTemplate.valid_from <= now,
                CouponTemplate.valid_until > now,
            )
            .order_by(CouponTemplate.valid_until, UserCoupon.id),
            {"user_id": user_id, "leader_id": leader_id},
        )
        .all()
    )
    best: BestCoupon | None = None
    tier: str | None = None
    for row in rows:
        terms = CouponTerms.of_row(row)
        if terms is None:
            continue
        if terms.tiers_allowed and tier is None:
            tier = shopper_tier(user_id=user_id, now=now)
        try:
            parts = line_discounts(
                terms, lines, user_id=user_id, first_order=bool(row.coupon_first_order), now=now, tier=tier
            )
        except (Conflict, NotFound):
            continue
        if best is None or sum(parts) > best.discount_fen:
            best = BestCoupon(coupon_id=terms.id, name=terms.name, discount_fen=sum(parts))
    return best
