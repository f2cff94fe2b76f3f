"""Customer service moderates reviews: the list (newest first, hidden or visible) and hiding one.

For the CS API (``/api/v1/cs/reviews``) and the CS web console alike: call these, never the tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from groupbuy.audit.service import record_action
from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.leaders import credit
from groupbuy.leaders.enums import CreditKind
from groupbuy.leaders.service import add_credit_events
from groupbuy.reviews.models import LeaderRating, Review
from groupbuy.reviews.service.figures import refresh_after_review
from groupbuy.reviews.service.views import ReviewView, review_views


def list_reviews_for_cs(*, hidden: bool | None, page: int, page_size: int) -> Page[ReviewView]:
    """Every review, newest first; ``hidden`` True: only hidden ones, False: only visible ones, None: all."""
    query = select(Review)
    if hidden is True:
        query = query.where(Review.hidden_at.is_not(None))
    elif hidden is False:
        query = query.where(Review.hidden_at.is_(None))
    found = paginate(query.order_by(Review.created_at.desc(), Review.id.desc()), page=page, page_size=page_size)
    return Page(items=review_views(found.items), page=found.page, page_size=found.page_size, total=found.total)


def get_review_for_cs(*, review_id: int) -> ReviewView:
    """One review as CS sees it (hidden or not); 404 when unknown."""
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound()
    return review_views([review])[0]


def hide_review(*, review_id: int, actor_id: int, reason: str, now: datetime) -> ReviewView:
    """Hide a review: it leaves the public lists and the deal's rating, and so does its order's leader rating
    (that buyer's voice on the leader), whose credit points are taken back by a reversing ledger line. Audited
    with before/after and the reason. Unknown 404; hidden already 409 ``review_already_hidden``."""
    with transaction():
        review = db.session.get(Review, review_id)
        if review is None:
            raise NotFound()
        moved = db.session.execute(
            update(Review)
            .where(Review.id == review_id, Review.hidden_at.is_(None))
            .values(hidden_at=now, hidden_by_id=actor_id, hidden_reason=reason)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        if not moved:
            raise Conflict("review_already_hidden")
        db.session.refresh(review)
        rating = db.session.scalar(select(LeaderRating).where(LeaderRating.order_id == review.order_id))
        leader_rating_hidden = False
        if rating is not None:
            leader_rating_hidden = bool(
                db.session.execute(
                    update(LeaderRating)
                    .where(LeaderRating.id == rating.id, LeaderRating.hidden_at.is_(None))
                    .values(hidden_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            )
            if leader_rating_hidden and rating.credit_points:
                reversal = (CreditKind.REVIEW, -rating.credit_points, f"{credit.review_ref(rating.id)}-hidden", now)
                add_credit_events(leader_id=rating.leader_id, events=[reversal], now=now)
        record_action(
            actor_id=actor_id,
            action="review.hide",
            object_type="review",
            object_id=review.id,
            now=now,
            before={"hidden": False, "leader_rating_hidden": False},
            after={"hidden": True, "leader_rating_hidden": leader_rating_hidden or rating is not None},
            reason=reason,
        )
        refresh_after_review(deal_ids=[review.deal_id], leader_id=review.leader_id, now=now)
    return review_views([review])[0]
