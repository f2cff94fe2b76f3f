"""Posting reviews: only the buyer of a completed order, once per line, one leader rating per order, photos through
uploads; one follow-up within 150 days."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.orders.enums import OrderStatus
from groupbuy.reviews.models import LeaderRating, Review
from groupbuy.uploads.models import Upload
from tests.factories.accounts import bearer, make_user
from tests.factories.catalog import DealFactory
from tests.factories.market import T0
from tests.factories.reviews import Bought, completed_order, photo_ids, review


def _order(app: Flask, **more: object) -> Bought:
    with app.app_context(), clock.frozen(T0):
        return completed_order(**more)  # type: ignore[arg-type]


def test_reviewing_before_completion_is_409(app: Flask, client: FlaskClient) -> None:
    for status in (OrderStatus.PAID, OrderStatus.PICKED_UP, OrderStatus.READY_FOR_PICKUP):
        bought = _order(app, status=status)
        response = review(client, bought, [{"order_item_id": bought.line_ids[0], "rating": 5}])
        assert response.status_code == 409 and response.get_json()["code"] == "review_order_not_completed"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_a_line_is_reviewed_once_and_the_leader_rated_once(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), clock.frozen(T0):
        bought = completed_order(deals=[DealFactory(), DealFactory()])
    first, second = bought.line_ids
    response = review(client, bought, [{"order_item_id": first, "rating": 4}], leader_rating=5)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["leader_rating"] == 5 and body["reviews"][0]["order_item_id"] == first
    assert body["reviews"][0]["content"] == "" and body["reviews"][0]["images"] == []  # stars alone
    again = review(client, bought, [{"order_item_id": first, "rating": 1}], leader_rating=None)
    assert again.status_code == 409 and again.get_json()["code"] == "review_exists"
    rerate = review(client, bought, [{"order_item_id": second, "rating": 3}], leader_rating=1)
    assert rerate.status_code == 409 and rerate.get_json()["code"] == "leader_already_rated"
    other_line = review(client, bought, [{"order_item_id": second, "rating": 3}], leader_rating=None)
    assert other_line.status_code == 201 and other_line.get_json()["leader_rating"] == 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == 2
        assert db.session.scalar(select(func.count()).select_from(LeaderRating)) == 1
        actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == bought.order_id)))
        assert actions == ["review.create", "review.create"]


def test_only_the_buyer_and_only_lines_of_the_order(app: Flask, client: FlaskClient) -> None:
    bought = _order(app)
    other = _order(app)
    with app.app_context():
        stranger = bearer(make_user())
    item = [{"order_item_id": bought.line_ids[0], "rating": 5}]
    response = client.post(f"/api/v1/orders/{bought.order_id}/reviews", json={"items": item}, headers=stranger)
    assert response.status_code == 404
    assert client.post(f"/api/v1/orders/{bought.order_id}/reviews", json={"items": item}).status_code == 401
    wrong = review(client, bought, [{"order_item_id": other.line_ids[0], "rating": 5}])
    assert wrong.status_code == 422 and wrong.get_json()["errors"]["items"]["0"]["order_item_id"]
    nothing = review(client, bought, [], leader_rating=None)
    assert nothing.status_code == 422


def test_text_and_stars_are_checked(app: Flask, client: FlaskClient) -> None:
    bought = _order(app)
    line = bought.line_ids[0]
    assert review(client, bought, [{"order_item_id": line, "rating": 6}]).status_code == 422
    assert review(client, bought, [{"order_item_id": line, "rating": 0}]).status_code == 422
    assert review(client, bought, [{"order_item_id": line, "rating": 5, "content": "好" * 1001}]).status_code == 422
    ok = review(client, bought, [{"order_item_id": line, "rating": 5, "content": "好" * 1000}], leader_rating=6)
    assert ok.status_code == 422  # leader stars 1-5 too
    ok = review(client, bought, [{"order_item_id": line, "rating": 5, "content": "新鲜\n好吃" + "好" * 990}])
    assert ok.status_code == 201, ok.get_json()


def test_photos_are_the_buyers_uploads_at_most_nine(app: Flask, client: FlaskClient) -> None:
    bought = _order(app)
    line = bought.line_ids[0]
    mine = photo_ids(client, bought.headers, 10)
    with app.app_context():
        stranger = bearer(make_user())
    theirs = photo_ids(client, stranger, 1)
    too_many = review(client, bought, [{"order_item_id": line, "rating": 5, "images": mine}])
    assert too_many.status_code == 422
    not_mine = review(client, bought, [{"order_item_id": line, "rating": 5, "images": [mine[0], *theirs]}])
    assert not_mine.status_code == 422 and not_mine.get_json()["errors"]["items"]["0"]["images"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == 0
        assert db.session.get_one(Upload, mine[0]).attached_at is None  # the refused post attached nothing
    ok = review(client, bought, [{"order_item_id": line, "rating": 5, "images": mine[:9]}])
    assert ok.status_code == 201
    images = ok.get_json()["reviews"][0]["images"]
    assert [image["id"] for image in images] == mine[:9]
    assert all(image["url"].startswith("http://testserver/media/") for image in images)
    with app.app_context():
        assert db.session.get_one(Upload, mine[0]).attached_at is not None


def test_one_follow_up_within_150_days_day_151_is_409(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), clock.frozen(T0):
        bought = completed_order(deals=[DealFactory(), DealFactory()])
    first, second = bought.line_ids
    with clock.frozen(T0):
        posted = review(client, bought, [{"order_item_id": first, "rating": 5}, {"order_item_id": second, "rating": 2}])
    early, late = (item["id"] for item in posted.get_json()["reviews"])
    with clock.frozen(T0 + timedelta(days=150)):
        ok = client.post(
            f"/api/v1/reviews/{early}/follow-up", json={"content": "吃完了，依然好"}, headers=bought.headers
        )
        assert ok.status_code == 201, ok.get_json()
        assert ok.get_json()["follow_up"]["content"] == "吃完了，依然好"
        again = client.post(f"/api/v1/reviews/{early}/follow-up", json={"content": "再追一次"}, headers=bought.headers)
        assert again.status_code == 409 and again.get_json()["code"] == "follow_up_exists"
    with clock.frozen(T0 + timedelta(days=151)):
        too_late = client.post(f"/api/v1/reviews/{late}/follow-up", json={"content": "晚了"}, headers=bought.headers)
    assert too_late.status_code == 409 and too_late.get_json()["code"] == "follow_up_too_late"
    with app.app_context():
        stranger = bearer(make_user())
    assert client.post(f"/api/v1/reviews/{late}/follow-up", json={"content": "x"}, headers=stranger).status_code == 404
    with app.app_context():
        assert db.session.get_one(Review, late).follow_up_at is None
