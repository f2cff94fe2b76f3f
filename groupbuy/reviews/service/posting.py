"""The buyer reviews a completed order: one review per line, one leader rating per order, one follow-up per review.

Each use case is one transaction: the order row is locked first (FOR UPDATE on PostgreSQL; SQLite writes one at a
time), so two posts for the same order cannot both pass the once-per-line check; the unique constraints on
``reviews.order_line_id`` and ``leader_ratings.order_id`` hold it in any case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from groupbuy.audit.service import record_action
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.leaders import credit
from groupbuy.leaders.enums import CreditKind
from groupbuy.leaders.service import add_credit_events
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from groupbuy.reviews.models import LeaderRating, Review
from groupbuy.reviews.service.figures import refresh_after_review
from groupbuy.settings import settings
from groupbuy.uploads.service import attachable_uploads

MAX_PHOTOS = 9
NOT_A_LINE = "Not a line of this order."
TWICE = "The same line twice."
NOTHING = "Review at least one line or rate the leader."


def credit_points(*, rating: int, refunded: bool) -> int:
    """Seed 001: 4-5 stars +2, 3 stars 0, 1-2 stars -2; a failed or refunded trade gives neutral or negative only."""
    points = credit.review_points(rating)
    return min(points, 0) if refunded else points


def post_reviews(
    *,
    user_id: int,
    order_id: int,
    items: Sequence[Mapping[str, Any]],
    leader_rating: int | None,
    now: datetime,
) -> tuple[list[Review], LeaderRating | None]:
    """The buyer's reviews of lines of their completed order, and their rating of the leader (both optional, not
    both absent). 404 for someone else's order, 409 ``review_order_not_completed`` before completion, 409
    ``review_exists`` for a line reviewed before, 409 ``leader_already_rated`` for a second leader rating."""
    with transaction():
        order = db.session.scalar(select(Order).where(Order.id == order_id).with_for_update())
        if order is None or order.user_id != user_id:
            raise NotFound()
        if order.status is not OrderStatus.COMPLETED:
            raise Conflict("review_order_not_completed")
        if not items and leader_rating is None:
            raise Invalid(errors={"items": [NOTHING]})
        lines = {line.id: line for line in order.lines}
        asked = [int(item["order_item_id"]) for item in items]
        for index, line_id in enumerate(asked):
            if line_id not in lines:
                raise Invalid(errors=_at_item(index, "order_item_id", NOT_A_LINE))
            if line_id in asked[:index]:
                raise Invalid(errors=_at_item(index, "order_item_id", TWICE))
        reviewed = set(db.session.scalars(select(Review.order_line_id).where(Review.order_id == order.id)))
        if reviewed & set(asked):
            raise Conflict("review_exists")
        rated = db.session.scalar(select(LeaderRating).where(LeaderRating.order_id == order.id))
        if leader_rating is not None and rated is not None:
            raise Conflict("leader_already_rated")
        reviews = []
        for index, item in enumerate(items):
            line = lines[int(item["order_item_id"])]
            photos = _photos(user_id, item.get("images") or [], now=now, where=("items", str(index)))
            review = Review(
                order_id=order.id,
                order_line_id=line.id,
                deal_id=line.deal_id,
                leader_id=order.leader_id,
                user_id=user_id,
                rating=int(item["rating"]),
                content=item.get("content") or "",
                photo_ids=photos,
                photo_count=len(photos),
                created_at=now,
            )
            db.session.add(review)
            reviews.append(review)
        given = None
        if leader_rating is not None:
            given = _rate_leader(order, user_id=user_id, rating=leader_rating, now=now)
        db.session.flush()
        record_action(
            actor_id=user_id,
            action="review.create",
            object_type="order",
            object_id=order.id,
            now=now,
            after={
                "reviews": [{"id": r.id, "order_item_id": r.order_line_id, "rating": r.rating} for r in reviews],
                "leader_rating": given.rating if given else None,
            },
        )
        refresh_after_review(deal_ids=[r.deal_id for r in reviews], leader_id=order.leader_id, now=now)
    return reviews, given if given is not None else rated


def _at_item(index: int, field: str, message: str) -> Any:
    """Field errors shaped as marshmallow nests them for a list of objects: {"items": {"0": {field: [...]}}}."""
    return {"items": {str(index): {field: [message]}}}


def _rate_leader(order: Order, *, user_id: int, rating: int, now: datetime) -> LeaderRating:
    refunded = order.refund_due_fen > 0 or any(line.refunded_quantity for line in order.lines)
    given = LeaderRating(
        order_id=order.id,
        leader_id=order.leader_id,
        user_id=user_id,
        rating=rating,
        credit_points=credit_points(rating=rating, refunded=refunded),
        created_at=now,
    )
    db.session.add(given)
    db.session.flush()
    event = (CreditKind.REVIEW, given.credit_points, credit.review_ref(given.id), now)
    add_credit_events(leader_id=order.leader_id, events=[event], now=now)
    return given


def _photos(user_id: int, ids: Sequence[int], *, now: datetime, where: tuple[str, ...] = ()) -> list[int]:
    """The upload ids, checked (the owner's, at most 9) and marked attached; field errors point at ``where``."""
    try:
        return [upload.id for upload in attachable_uploads(user_id, list(ids), now=now, limit=MAX_PHOTOS)]
    except Invalid as refused:
        errors: Any = refused.errors or {}
        for key in reversed(where):
            errors = {key: errors}
        raise Invalid(refused.code, errors=errors) from None


def post_follow_up(*, user_id: int, review_id: int, content: str, images: Sequence[int], now: datetime) -> Review:
    """The reviewer's one follow-up, within GROUPBUY_REVIEW_FOLLOW_UP_DAYS (150) of the review: later 409
    ``follow_up_too_late``, again 409 ``follow_up_exists``; someone else's review 404."""
    with transaction():
        review = db.session.get(Review, review_id)
        if review is None or review.user_id != user_id:
            raise NotFound()
        if review.hidden_at is not None:
            raise Conflict("review_hidden")
        if now > review.created_at + timedelta(days=settings().review_follow_up_days):
            raise Conflict("follow_up_too_late", days=settings().review_follow_up_days)
        if review.follow_up_at is not None:
            raise Conflict("follow_up_exists")
        photos = _photos(user_id, images, now=now)
        moved = db.session.execute(
            update(Review)
            .where(Review.id == review.id, Review.follow_up_at.is_(None))
            .values(follow_up_content=content, follow_up_photo_ids=photos, follow_up_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        if not moved:
            raise Conflict("follow_up_exists")
        db.session.refresh(review)
        record_action(
            actor_id=user_id,
            action="review.follow_up",
            object_type="review",
            object_id=review.id,
            now=now,
            after={"follow_up_photos": len(photos), "follow_up_chars": len(content)},
        )
    return review
