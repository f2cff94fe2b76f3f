"""Review doors: the buyer reviews and follows up; anyone reads a deal's or a leader's reviews; CS hides."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page
from groupbuy.extensions import limiter
from groupbuy.reviews import service
from groupbuy.reviews.schemas import (
    CsReviewPageSchema,
    CsReviewQuerySchema,
    CsReviewSchema,
    FollowUpCreateSchema,
    HideReviewSchema,
    OrderReviewsSchema,
    ReviewCreateSchema,
    ReviewPageSchema,
    ReviewQuerySchema,
    ReviewSchema,
)
from groupbuy.reviews.service import ReviewPage, ReviewView
from groupbuy.settings import settings

blp = Blueprint("reviews", __name__, url_prefix="/api/v1", description="Reviews, follow-ups and leader ratings")


def review_limit() -> str:
    """Per-IP throttle on review and follow-up posts (GROUPBUY_REVIEW_RATE_LIMIT)."""
    return settings().review_rate_limit


@blp.route("/orders/<int:order_id>/reviews")
class OrderReviews(MethodView):
    @require_roles(*SIGNED_IN)
    @limiter.limit(review_limit)
    @blp.arguments(ReviewCreateSchema())
    @blp.response(201, OrderReviewsSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="review_order_not_completed, review_exists, ...")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="validation_failed, upload_not_attachable")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict[str, Any], order_id: int) -> dict[str, Any]:
        """Review lines of my completed order (once per line; stars alone are fine; up to 9 photos each) and rate
        the leader (once per order). 409 before the order is completed."""
        now = clock.now()
        reviews, rating = service.post_reviews(
            user_id=current_user_id(),
            order_id=order_id,
            items=data["items"],
            leader_rating=data.get("leader_rating"),
            now=now,
        )
        return {
            "order_id": order_id,
            "reviews": service.review_views(reviews),
            "leader_rating": rating.rating if rating else None,
        }


@blp.route("/reviews/<int:review_id>/follow-up")
class ReviewFollowUp(MethodView):
    @require_roles(*SIGNED_IN)
    @limiter.limit(review_limit)
    @blp.arguments(FollowUpCreateSchema())
    @blp.response(201, ReviewSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="follow_up_exists, follow_up_too_late, review_hidden")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict[str, Any], review_id: int) -> ReviewView:
        """My one follow-up to my review, within 150 days of it."""
        review = service.post_follow_up(
            user_id=current_user_id(),
            review_id=review_id,
            content=data["content"],
            images=data.get("images") or [],
            now=clock.now(),
        )
        return service.review_views([review])[0]


@blp.route("/deals/<int:deal_id>/reviews", tags=["catalog"])
class DealReviews(MethodView):
    @blp.arguments(ReviewQuerySchema(), location="query")
    @blp.response(200, ReviewPageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query: dict[str, Any], deal_id: int) -> ReviewPage:
        """A deal's reviews, newest first (filter by stars, with photos); names masked; the deal's rating."""
        return service.list_deal_reviews(
            deal_id=deal_id,
            rating=query.get("rating"),
            with_photos=query.get("with_photos"),
            page=query["page"],
            page_size=query["page_size"],
        )


@blp.route("/leaders/<int:leader_id>/reviews", tags=["leaders"])
class LeaderReviews(MethodView):
    @blp.arguments(ReviewQuerySchema(), location="query")
    @blp.response(200, ReviewPageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query: dict[str, Any], leader_id: int) -> ReviewPage:
        """The reviews of a leader's orders, newest first; the leader's rating (positive share over ~6 months)."""
        return service.list_leader_reviews(
            leader_id=leader_id,
            rating=query.get("rating"),
            with_photos=query.get("with_photos"),
            page=query["page"],
            page_size=query["page_size"],
        )


@blp.route("/cs/reviews")
class CsReviews(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(CsReviewQuerySchema(), location="query")
    @blp.response(200, CsReviewPageSchema)
    def get(self, query: dict[str, Any]) -> Page[ReviewView]:
        """Every review, newest first (`hidden`: true / false to filter)."""
        return service.list_reviews_for_cs(hidden=query.get("hidden"), page=query["page"], page_size=query["page_size"])


@blp.route("/cs/reviews/<int:review_id>/hide")
class CsHideReview(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(HideReviewSchema())
    @blp.response(200, CsReviewSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="review_already_hidden")
    def post(self, data: dict[str, Any], review_id: int) -> ReviewView:
        """Hide a review (audited, reason kept): it and its order's leader rating leave the lists and the ratings."""
        return service.hide_review(
            review_id=review_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now()
        )
