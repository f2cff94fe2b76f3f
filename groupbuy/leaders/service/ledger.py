"""The credit ledger: idempotent events, and the cached score recomputed in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from groupbuy.db import db, transaction
from groupbuy.errors import Invalid, NotFound
from groupbuy.leaders import credit
from groupbuy.leaders.enums import CreditKind, LicenceKind
from groupbuy.leaders.models import Leader, LeaderCreditEvent


@dataclass(frozen=True)
class CreditReport:
    score: int
    breakdown: list[LeaderCreditEvent]


def _lock_leader(leader_id: int) -> Leader:
    """Serialise ledger writes per leader so each recomputed sum sees the other writers' events."""
    leader = db.session.scalar(select(Leader).where(Leader.id == leader_id).with_for_update())
    if leader is None:
        raise NotFound()
    return leader


def _insert_event(*, leader_id: int, kind: CreditKind, points: int, ref: str, at: datetime) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on (leader, kind, ref); True if a row was written."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(LeaderCreditEvent)
        .values(leader_id=leader_id, kind=kind, points=points, ref=ref, at=at)
        .on_conflict_do_nothing(index_elements=["leader_id", "kind", "ref"])
        .returning(LeaderCreditEvent.id)
    )
    return db.session.execute(stmt).scalar_one_or_none() is not None  # no row back: it was already there


def _recompute_score(leader_id: int, now: datetime) -> None:
    total = select(func.coalesce(func.sum(LeaderCreditEvent.points), 0)).where(LeaderCreditEvent.leader_id == leader_id)
    db.session.execute(
        update(Leader)
        .where(Leader.id == leader_id)
        .values(credit_score=total.scalar_subquery(), updated_at=now)
        .execution_options(synchronize_session=False)
    )


def add_credit_events(*, leader_id: int, events: Iterable[tuple[CreditKind, int, str, datetime]], now: datetime) -> int:
    """Write ledger events once each (a repeat is a no-op) and refresh the cached score; returns rows written."""
    with transaction():
        leader = _lock_leader(leader_id)
        written = sum(
            _insert_event(leader_id=leader_id, kind=kind, points=points, ref=ref, at=at)
            for kind, points, ref, at in events
        )
        if written:
            _recompute_score(leader_id, now)
            db.session.expire(leader, ["credit_score", "updated_at"])  # changed by SQL, not through the object
        return written


def record_identity_credit(*, leader_id: int, now: datetime) -> int:
    """A verified identity earns +10, once."""
    event = (CreditKind.IDENTITY, credit.IDENTITY_POINTS, credit.IDENTITY_REF, now)
    return add_credit_events(leader_id=leader_id, events=[event], now=now)


def record_licence_credit(*, leader_id: int, licences: Iterable[Mapping[str, Any]], now: datetime) -> int:
    """Food-business licence 5 points (max 5 in all), other certificates 2 each (max 10 in all)."""
    with transaction():
        _lock_leader(leader_id)
        rows = db.session.execute(
            select(LeaderCreditEvent.kind, func.sum(LeaderCreditEvent.points))
            .where(LeaderCreditEvent.leader_id == leader_id)
            .group_by(LeaderCreditEvent.kind)
        )
        awarded: dict[CreditKind, int] = {kind: int(points) for kind, points in rows}
        events = []
        for index, licence in enumerate(licences, start=1):
            kind, each, cap = credit.LICENCE_POINTS[LicenceKind(licence["kind"])]
            points = min(each, cap - awarded.get(kind, 0))
            if points > 0:
                awarded[kind] = awarded.get(kind, 0) + points
                events.append((kind, points, credit.licence_ref(index), now))
        return add_credit_events(leader_id=leader_id, events=events, now=now)


def record_review_credit(*, leader_id: int, review_id: int, stars: int, now: datetime) -> int:
    """A leader review of 4-5 stars earns +2, 3 stars 0, 1-2 stars -2; once per review."""
    if not 1 <= stars <= 5:
        raise Invalid(errors={"stars": ["Must be between 1 and 5."]})
    event = (CreditKind.REVIEW, credit.review_points(stars), credit.review_ref(review_id), now)
    return add_credit_events(leader_id=leader_id, events=[event], now=now)


def refresh_credit(*, leader_id: int, now: datetime) -> int:
    """+20 for each full year active after the first (year-2, year-3, ...); missing years only."""
    leader = db.session.get(Leader, leader_id)
    if leader is None:
        raise NotFound()
    events = [
        (
            CreditKind.SENIORITY,
            credit.POINTS_PER_YEAR,
            credit.year_ref(year),
            credit.anniversary(leader.active_since, year),
        )
        for year in credit.credited_years(leader.active_since, now)
    ]
    return add_credit_events(leader_id=leader_id, events=events, now=now) if events else 0


def refresh_all_credit(*, now: datetime) -> int:
    """The scheduled sweep: refresh every leader old enough to have earned a year; returns events written."""
    cutoff = now - timedelta(days=2 * 365)
    leader_ids = db.session.scalars(select(Leader.id).where(Leader.active_since <= cutoff).order_by(Leader.id))
    return sum(refresh_credit(leader_id=leader_id, now=now) for leader_id in list(leader_ids))


def credit_report(*, leader_id: int) -> CreditReport:
    """The cached score and the ledger lines it sums, oldest first."""
    leader = db.session.get(Leader, leader_id)
    if leader is None:
        raise NotFound()
    events = db.session.scalars(
        select(LeaderCreditEvent)
        .where(LeaderCreditEvent.leader_id == leader_id)
        .order_by(LeaderCreditEvent.at, LeaderCreditEvent.id)
    )
    return CreditReport(score=leader.credit_score, breakdown=list(events))
