"""A shopper's standing: the tier earned by the last 12 months' spend, a CS grant over it, recomputed on each
completed order and nightly; never downgraded more than once in a calendar month (Asia/Shanghai).

The effective tier is written to ``users.tier`` (where checkout and the account read it). Every change of it
leaves an audit entry with before/after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, column, func, select, table, update

from groupbuy.accounts.enums import Tier
from groupbuy.accounts.models import User
from groupbuy.audit.service import record_action
from groupbuy.db import UTCDateTime, db, transaction
from groupbuy.errors import Invalid, NotFound
from groupbuy.membership.models import Membership
from groupbuy.membership.service.benefits import Benefits, all_tiers
from groupbuy.settings import settings

CHINA = ZoneInfo("Asia/Shanghai")  # "a calendar month" is the shoppers' month
SYSTEM = "system"

# Orders are a floor above: their figures are read by table name, never through the orders package.
_orders = table(
    "orders",
    column("user_id", BigInteger),
    column("paid_fen", BigInteger),
    column("refund_due_fen", BigInteger),
    column("paid_at", UTCDateTime()),
)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a shopper stands after a recompute or a grant."""

    user_id: int
    tier: str  # the effective tier (users.tier)
    earned_tier: str  # by spend alone
    spend_fen: int  # paid minus refunded over the spend window
    computed_at: datetime
    granted_tier: str | None
    granted_until: datetime | None
    downgrade_held: bool  # a lower tier was due but this month's one downgrade is used


def yearly_spend(*, user_id: int, now: datetime) -> int:
    """Paid minus refunded (granted refunds) of the orders paid in the last ``membership_spend_window_days``."""
    since = now - timedelta(days=settings().membership_spend_window_days)
    spend = db.session.scalar(
        select(func.coalesce(func.sum(_orders.c.paid_fen - _orders.c.refund_due_fen), 0)).where(
            _orders.c.user_id == user_id, _orders.c.paid_at > since, _orders.c.paid_at <= now
        )
    )
    return max(int(spend or 0), 0)


def tier_for_spend(spend_fen: int, tiers: list[Benefits]) -> Benefits:
    """The highest tier whose threshold the spend reaches (tiers lowest first)."""
    reached = [t for t in tiers if t.threshold_fen <= spend_fen]
    return reached[-1] if reached else tiers[0]


def _same_month(a: datetime, b: datetime) -> bool:
    a, b = a.astimezone(CHINA), b.astimezone(CHINA)
    return (a.year, a.month) == (b.year, b.month)


def _locked_membership(user_id: int, tiers: list[Benefits], now: datetime) -> tuple[Membership, Tier]:
    """The shopper's membership row, locked (made on first sight: earned tier by spend), and users.tier."""
    current = db.session.scalar(select(User.tier).where(User.id == user_id).with_for_update())
    if current is None:
        raise NotFound()
    membership = db.session.get(Membership, user_id, with_for_update=True, populate_existing=True)
    if membership is None:
        spend = yearly_spend(user_id=user_id, now=now)
        earned = Tier(tier_for_spend(spend, tiers).tier)
        membership = Membership(user_id=user_id, earned_tier=earned, spend_fen=spend, computed_at=now, updated_at=now)
        db.session.add(membership)
        db.session.flush()
    return membership, Tier(current)


def _settle(membership: Membership, current: Tier, tiers: list[Benefits], *, actor: str, now: datetime) -> Standing:
    """Decide the effective tier from the earned tier and a live grant, hold a second downgrade in a month,
    write users.tier and audit a change."""
    rank = {Tier(t.tier): t.rank for t in tiers}
    if membership.granted_tier is not None and membership.granted_until is not None and membership.granted_until <= now:
        membership.granted_tier = membership.granted_until = membership.grant_reason = None
        membership.granted_by_id = None
    candidates = [Tier(membership.earned_tier)]
    if membership.granted_tier is not None:
        candidates.append(Tier(membership.granted_tier))
    target = max(candidates, key=lambda t: rank[t])
    held = False
    if rank[target] < rank[current]:
        if membership.last_downgraded_at is not None and _same_month(membership.last_downgraded_at, now):
            target, held = current, True
        else:
            membership.last_downgraded_at = now
    membership.updated_at = now
    if target is not current:
        db.session.execute(update(User).where(User.id == membership.user_id).values(tier=target, updated_at=now))
        record_action(
            actor_id=None if actor == SYSTEM else int(actor.split(":")[-1]),
            action="membership.tier",
            object_type="user",
            object_id=membership.user_id,
            now=now,
            before={"tier": current.value},
            after={"tier": target.value, "spend_fen": membership.spend_fen},
            reason=membership.grant_reason if actor != SYSTEM else "recomputed",
        )
    return Standing(
        user_id=membership.user_id,
        tier=target.value,
        earned_tier=Tier(membership.earned_tier).value,
        spend_fen=membership.spend_fen,
        computed_at=membership.computed_at,
        granted_tier=Tier(membership.granted_tier).value if membership.granted_tier else None,
        granted_until=membership.granted_until,
        downgrade_held=held,
    )


def recompute_tier(*, user_id: int, now: datetime) -> Standing:
    """Recompute one shopper's tier from their yearly spend (the completed-order hook and the nightly job)."""
    with transaction():
        tiers = all_tiers()
        membership, current = _locked_membership(user_id, tiers, now)
        membership.spend_fen = yearly_spend(user_id=user_id, now=now)
        membership.earned_tier = Tier(tier_for_spend(membership.spend_fen, tiers).tier)
        membership.computed_at = now
        return _settle(membership, current, tiers, actor=SYSTEM, now=now)


def recompute_tiers(*, user_ids: list[int], now: datetime) -> int:
    """Recompute several shoppers (orders completed in bulk); how many."""
    with transaction():
        for user_id in sorted(set(user_ids)):  # one lock order for every caller
            recompute_tier(user_id=user_id, now=now)
    return len(set(user_ids))


def grant_tier(
    *, actor_id: int, user_id: int, tier: str, reason: str, until: datetime | None, now: datetime
) -> Standing:
    """CS grants a tier over the earned one (until a time, or until taken back); audited with before and after.

    A grant never lowers a shopper below what they earned: the effective tier is the higher of the two. When the
    grant runs out, the nightly recompute takes it off (a lower tier then is this month's downgrade).
    """
    if until is not None and until <= now:
        raise Invalid(errors={"until": ["must be in the future"]})
    with transaction():
        tiers = all_tiers()
        membership, current = _locked_membership(user_id, tiers, now)
        before = {
            "tier": current.value,
            "granted_tier": membership.granted_tier.value if membership.granted_tier else None,
            "granted_until": membership.granted_until.isoformat() if membership.granted_until else None,
        }
        membership.granted_tier = Tier(tier)
        membership.granted_until = until
        membership.grant_reason = reason
        membership.granted_by_id = actor_id
        standing = _settle(membership, current, tiers, actor=f"user:{actor_id}", now=now)
        record_action(
            actor_id=actor_id,
            action="membership.grant",
            object_type="user",
            object_id=user_id,
            now=now,
            before=before,
            after={"tier": standing.tier, "granted_tier": tier, "granted_until": until.isoformat() if until else None},
            reason=reason,
        )
        return standing


def standing_of(*, user_id: int, now: datetime) -> Standing:
    """The shopper's standing as last computed (spend recomputed now when never computed)."""
    membership = db.session.get(Membership, user_id)
    if membership is None:
        return recompute_tier(user_id=user_id, now=now)
    tier = db.session.scalars(select(User.tier).where(User.id == user_id)).one()
    return Standing(
        user_id=user_id,
        tier=Tier(tier).value,
        earned_tier=Tier(membership.earned_tier).value,
        spend_fen=membership.spend_fen,
        computed_at=membership.computed_at,
        granted_tier=Tier(membership.granted_tier).value if membership.granted_tier else None,
        granted_until=membership.granted_until,
        downgrade_held=False,
    )


def members_due(*, now: datetime, after_id: int, limit: int) -> list[int]:
    """Shoppers the nightly recompute visits: above the lowest tier, with a membership row, or with a paid order in
    the window, and not already computed at ``now`` or later (so a second run finds nothing; keyset by id)."""
    since = now - timedelta(days=settings().membership_spend_window_days)
    spenders = select(_orders.c.user_id).where(_orders.c.paid_at > since)
    fresh = select(Membership.user_id).where(Membership.computed_at >= now)
    return list(
        db.session.scalars(
            select(User.id)
            .where(
                User.id > after_id,
                User.id.not_in(fresh),
                (User.tier != Tier.SEED) | User.id.in_(select(Membership.user_id)) | User.id.in_(spenders),
            )
            .order_by(User.id)
            .limit(limit)
        )
    )


def recompute_all_tiers(*, now: datetime, limit: int) -> dict[str, int]:
    """The nightly job's work: every shopper due, in batches; safe twice (the same figures give the same tier, and
    a second downgrade in a month is held)."""
    counts = {"members_recomputed": 0, "tiers_changed": 0}
    after = 0
    while True:
        with transaction():
            batch = members_due(now=now, after_id=after, limit=limit)
            for user_id in batch:
                before = db.session.scalars(select(User.tier).where(User.id == user_id)).one()
                standing = recompute_tier(user_id=user_id, now=now)
                counts["members_recomputed"] += 1
                counts["tiers_changed"] += int(standing.tier != Tier(before).value)
        if len(batch) < limit:
            return counts
        after = batch[-1]
