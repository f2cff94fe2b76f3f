"""Reviews use cases: posting (reviews, leader ratings, follow-ups), the public lists, CS moderation, and the
figures they keep current (ratings, standing)."""

from groupbuy.reviews.service.figures import refresh_after_review, refresh_all
from groupbuy.reviews.service.moderation import get_review_for_cs, hide_review, list_reviews_for_cs
from groupbuy.reviews.service.posting import credit_points, post_follow_up, post_reviews
from groupbuy.reviews.service.privacy import erase_reviews_of, reviews_of
from groupbuy.reviews.service.views import ReviewPage, ReviewView, list_deal_reviews, list_leader_reviews, review_views

__all__ = [
    "ReviewPage",
    "ReviewView",
    "credit_points",
    "erase_reviews_of",
    "get_review_for_cs",
    "hide_review",
    "list_deal_reviews",
    "list_leader_reviews",
    "list_reviews_for_cs",
    "post_follow_up",
    "post_reviews",
    "refresh_after_review",
    "refresh_all",
    "review_views",
    "reviews_of",
]
