"""The figures reviews keep current: leader and deal ratings over the window, and each deal's standing.

Written by conditional-free recomputation from the rows (a plain UPDATE with the freshly counted values), so a
run twice, late or on two machines at once writes the same figures; called in the transaction of every review,
follow-up and hiding, and by the ``refresh_review_figures`` job (ratings age out of the window with time alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select, update

from groupbuy.catalog.models import Deal
from groupbuy.db import db
from groupbuy.groups.models import Group
from groupbuy.leaders.models import Leader
from groupbuy.reviews import standing as rules
from groupbuy.reviews.models import LeaderRating, Review
from groupbuy.settings import settings


def window_start(now: datetime) -> datetime:
    """Ratings given since this moment count (GROUPBUY_REVIEW_RATING_WINDOW_DAYS, about six months)."""
    return now - timedelta(days=settings().review_rating_window_days)


def refresh_leader_ratings(leader_ids: Iterable[int], *, now: datetime) -> None:
    """leaders.rating_bp / rating_count: visible leader ratings of the window, positive = 4-5 stars."""
    wanted = sorted(set(leader_ids))
    if not wanted:
        return
    positive = func.sum(case((LeaderRating.rating >= rules.POSITIVE_FROM, 1), else_=0))
    rows = db.session.execute(
        select(LeaderRating.leader_id, func.count(), positive)
        .where(
            LeaderRating.leader_id.in_(wanted),
            LeaderRating.hidden_at.is_(None),
            LeaderRating.created_at >= window_start(now),
            LeaderRating.created_at <= now,
        )
        .group_by(LeaderRating.leader_id)
    )
    counted = {leader_id: (int(count), int(positives or 0)) for leader_id, count, positives in rows}
    for leader_id in wanted:
        count, positives = counted.get(leader_id, (0, 0))
        db.session.execute(
            update(Leader)
            .where(Leader.id == leader_id)
            .values(rating_bp=rules.positive_share_bp(positives, count), rating_count=count)
            .execution_options(synchronize_session=False)
        )


def refresh_deal_ratings(deal_ids: Iterable[int], *, now: datetime) -> None:
    """deals.rating_bp / rating_count: visible goods reviews of the window."""
    wanted = sorted(set(deal_ids))
    if not wanted:
        return
    positive = func.sum(case((Review.rating >= rules.POSITIVE_FROM, 1), else_=0))
    rows = db.session.execute(
        select(Review.deal_id, func.count(), positive)
        .where(
            Review.deal_id.in_(wanted),
            Review.hidden_at.is_(None),
            Review.created_at >= window_start(now),
            Review.created_at <= now,
        )
        .group_by(Review.deal_id)
    )
    counted = {deal_id: (int(count), int(positives or 0)) for deal_id, count, positives in rows}
    for deal_id in wanted:
        count, positives = counted.get(deal_id, (0, 0))
        db.session.execute(
            update(Deal)
            .where(Deal.id == deal_id)
            .values(rating_bp=rules.positive_share_bp(positives, count), rating_count=count)
            .execution_options(synchronize_session=False)
        )


def deal_leaders(deal_ids: Iterable[int]) -> dict[int, int]:
    """Each deal's leader (standing.py): the leader of its group with the most units paid, then the earliest."""
    wanted = sorted(set(deal_ids))
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Group.deal_id, Group.leader_id)
        .where(Group.deal_id.in_(wanted))
        .order_by(Group.deal_id, Group.units_paid.desc(), Group.id)
    )
    leaders: dict[int, int] = {}
    for deal_id, leader_id in rows:
        leaders.setdefault(deal_id, leader_id)
    return leaders


def refresh_standings(deal_ids: Iterable[int]) -> None:
    """deals.standing from the deal's rating and its leader's rating and credit (read as stored now)."""
    wanted = sorted(set(deal_ids))
    if not wanted:
        return
    deals = {
        row.id: row
        for row in db.session.execute(select(Deal.id, Deal.rating_bp, Deal.rating_count).where(Deal.id.in_(wanted)))
    }
    leader_of = deal_leaders(wanted)
    leaders = {
        row.id: row
        for row in db.session.execute(
            select(Leader.id, Leader.rating_bp, Leader.rating_count, Leader.credit_score).where(
                Leader.id.in_(set(leader_of.values()))
            )
        )
    }
    for deal_id, deal in deals.items():
        leader = leaders.get(leader_of.get(deal_id, 0))
        figure = rules.standing(
            deal_rating_bp=deal.rating_bp,
            deal_count=deal.rating_count,
            leader_rating_bp=leader.rating_bp if leader else None,
            leader_count=leader.rating_count if leader else 0,
            leader_credit=leader.credit_score if leader else 0,
        )
        db.session.execute(
            update(Deal).where(Deal.id == deal_id).values(standing=figure).execution_options(synchronize_session=False)
        )


def live_deals_of_leader(leader_id: int, *, now: datetime) -> list[int]:
    """Deals not yet closed on which the leader runs a group (their standing may speak for the leader)."""
    return list(
        db.session.scalars(
            select(Group.deal_id)
            .join(Deal, Deal.id == Group.deal_id)
            .where(and_(Group.leader_id == leader_id, Deal.cutoff_at > now))
        )
    )


def refresh_after_review(*, deal_ids: Iterable[int], leader_id: int, now: datetime) -> None:
    """Everything a new, followed-up or hidden review moves: the ratings, then the standings they feed."""
    deal_ids = set(deal_ids)
    refresh_deal_ratings(deal_ids, now=now)
    refresh_leader_ratings([leader_id], now=now)
    refresh_standings(deal_ids | set(live_deals_of_leader(leader_id, now=now)))


def refresh_all(*, now: datetime) -> dict[str, int]:
    """The scheduled recompute: every rated leader and deal (old ratings age out), then every live deal's standing
    (credit moves without reviews too: seniority, licences)."""
    leader_ids = set(db.session.scalars(select(LeaderRating.leader_id).distinct()))
    leader_ids |= set(db.session.scalars(select(Leader.id).where(Leader.rating_count > 0)))
    deal_ids = set(db.session.scalars(select(Review.deal_id).distinct()))
    deal_ids |= set(db.session.scalars(select(Deal.id).where(Deal.rating_count > 0)))
    refresh_leader_ratings(leader_ids, now=now)
    refresh_deal_ratings(deal_ids, now=now)
    live = set(db.session.scalars(select(Deal.id).where(Deal.cutoff_at > now)))
    refresh_standings(live | deal_ids)
    return {"leaders_rated": len(leader_ids), "deals_rated": len(deal_ids), "standings": len(live | deal_ids)}
