"""The demo's reviews: completed orders get reviews (some with photos stored through the storage slot) and a
leader rating; a second run adds nothing."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.demo_reviews import review_demo_orders
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import OrderStatus
from groupbuy.reviews.models import Review
from groupbuy.uploads.models import Upload
from tests.factories.leaders import LeaderFactory
from tests.factories.market import T0
from tests.factories.reviews import completed_order


def test_demo_reviews_populate_lists_and_the_leader_rating_once(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), clock.frozen(T0):
        leader_id = LeaderFactory().id
        for _ in range(12):
            completed_order(leader_id=leader_id)
        completed_order(leader_id=leader_id, status=OrderStatus.PAID)  # not completed: no review
        said = review_demo_orders(now=T0)
        assert said is not None and "12 completed orders" in said
        assert db.session.scalar(select(func.count()).select_from(Review)) == 12
        assert db.session.scalar(select(func.count()).select_from(Upload)) > 0  # photos drawn and stored
        assert db.session.get_one(Leader, leader_id).rating_count == 12
        assert review_demo_orders(now=T0) is None
        assert db.session.scalar(select(func.count()).select_from(Review)) == 12
    page = client.get(f"/api/v1/leaders/{leader_id}/reviews", query_string={"with_photos": "true"}).get_json()
    assert page["total"] > 0 and page["rating_count"] == 12
    photo = page["items"][0]["images"][0]["url"].removeprefix("http://testserver")
    assert client.get(photo).status_code == 200
