"""Reading reviews: the public lists of a deal and of a leader (visible reviews only, names masked), and the
views the routes dump (photos as public URLs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from groupbuy.accounts.models import User
from groupbuy.catalog.models import Deal
from groupbuy.common.fields import mask_name
from groupbuy.common.pagination import paginate
from groupbuy.db import db
from groupbuy.errors import NotFound
from groupbuy.leaders.models import Leader
from groupbuy.orders.models import OrderLine
from groupbuy.reviews.models import LeaderRating, Review
from groupbuy.uploads.service import upload_url, uploads_by_id


@dataclass(frozen=True)
class ReviewView:
    review: Review
    reviewer: str  # masked nickname
    product_name: str
    spec: str
    leader_rating: int | None
    images: list[dict[str, Any]]
    follow_up: dict[str, Any] | None

    def __getattr__(self, name: str) -> Any:  # id, rating, content, created_at … straight from the row
        return getattr(self.review, name)

    @property
    def order_item_id(self) -> int:
        return self.review.order_line_id


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewView]
    page: int
    page_size: int
    total: int
    rating_bp: int | None  # the positive share over the rating window x 10000 (None: no ratings)
    rating_count: int


def review_views(reviews: list[Review]) -> list[ReviewView]:
    """Views of these reviews with three queries in all (names and lines, leader ratings, photos)."""
    if not reviews:
        return []
    names: dict[int, str] = dict(
        db.session.execute(select(User.id, User.nickname).where(User.id.in_({r.user_id for r in reviews}))).all()
    )
    lines = {
        row.id: row
        for row in db.session.execute(
            select(OrderLine.id, OrderLine.product_name, OrderLine.spec).where(
                OrderLine.id.in_({r.order_line_id for r in reviews})
            )
        )
    }
    ratings: dict[int, int] = dict(
        db.session.execute(
            select(LeaderRating.order_id, LeaderRating.rating).where(
                LeaderRating.order_id.in_({r.order_id for r in reviews}), LeaderRating.hidden_at.is_(None)
            )
        ).all()
    )
    photo_ids = {i for r in reviews for i in [*r.photo_ids, *(r.follow_up_photo_ids or [])]}
    uploads = uploads_by_id(photo_ids)

    def images(ids: list[int] | None) -> list[dict[str, Any]]:
        return [
            {"id": i, "url": upload_url(uploads[i]), "width": uploads[i].width, "height": uploads[i].height}
            for i in ids or []
            if i in uploads
        ]

    views = []
    for review in reviews:
        line = lines.get(review.order_line_id)
        follow_up = None
        if review.follow_up_at is not None:
            follow_up = {
                "content": review.follow_up_content or "",
                "images": images(review.follow_up_photo_ids),
                "created_at": review.follow_up_at,
            }
        views.append(
            ReviewView(
                review=review,
                reviewer=mask_name(names.get(review.user_id) or "") or "匿名用户",
                product_name=line.product_name if line else "",
                spec=line.spec if line else "",
                leader_rating=ratings.get(review.order_id),
                images=images(review.photo_ids),
                follow_up=follow_up,
            )
        )
    return views


def _filtered(query: Select[Any], *, rating: int | None, with_photos: bool | None) -> Select[Any]:
    if rating is not None:
        query = query.where(Review.rating == rating)
    if with_photos is True:
        query = query.where(Review.photo_count > 0)
    elif with_photos is False:
        query = query.where(Review.photo_count == 0)
    return query.order_by(Review.created_at.desc(), Review.id.desc())


def list_deal_reviews(
    *, deal_id: int, rating: int | None, with_photos: bool | None, page: int, page_size: int
) -> ReviewPage:
    """A deal's visible reviews, newest first, with the deal's rating over the window."""
    return _page_of(db.session.get(Deal, deal_id), Review.deal_id == deal_id, rating, with_photos, page, page_size)


def list_leader_reviews(
    *, leader_id: int, rating: int | None, with_photos: bool | None, page: int, page_size: int
) -> ReviewPage:
    """The visible reviews of a leader's orders, newest first, with the leader's rating over the window."""
    subject = db.session.get(Leader, leader_id)
    return _page_of(subject, Review.leader_id == leader_id, rating, with_photos, page, page_size)


def _page_of(
    subject: Deal | Leader | None,
    mine: ColumnElement[bool],
    rating: int | None,
    with_photos: bool | None,
    page: int,
    page_size: int,
) -> ReviewPage:
    """One page of the subject's visible reviews with the subject's own rating figures (404 without a subject)."""
    if subject is None:
        raise NotFound()
    query = select(Review).where(mine, Review.hidden_at.is_(None))
    found = paginate(_filtered(query, rating=rating, with_photos=with_photos), page=page, page_size=page_size)
    return ReviewPage(
        items=review_views(found.items),
        page=found.page,
        page_size=found.page_size,
        total=found.total,
        rating_bp=subject.rating_bp,
        rating_count=subject.rating_count,
    )
