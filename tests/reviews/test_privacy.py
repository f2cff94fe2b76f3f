"""A shopper's reviews and uploads in their data export; closing the account keeps the stars (the ratings count
them) and takes the words and photos (their uploads detached for the purge)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.reviews.models import Review
from groupbuy.uploads.models import Upload
from tests.factories.market import T0
from tests.factories.reviews import Bought, completed_order, photo_ids, review


def _reviewed(app: Flask, client: FlaskClient) -> tuple[Bought, list[int]]:
    with app.app_context(), clock.frozen(T0):
        bought = completed_order()
    with clock.frozen(T0 + timedelta(hours=1)):
        photos = photo_ids(client, bought.headers, 2)
        item = {"order_item_id": bought.line_ids[0], "rating": 5, "content": "新鲜好吃", "images": photos}
        assert review(client, bought, [item]).status_code == 201
    return bought, photos


def test_the_export_holds_my_reviews_and_uploads(app: Flask, client: FlaskClient) -> None:
    bought, photos = _reviewed(app, client)
    with clock.frozen(T0 + timedelta(hours=2)):
        data = client.get("/api/v1/me/export", headers=bought.headers).get_json()
    [mine] = data["reviews"]
    assert (mine["order_item_id"], mine["rating"], mine["content"], mine["images"]) == (
        bought.line_ids[0],
        5,
        "新鲜好吃",
        photos,
    )
    assert [u["id"] for u in data["uploads"]] == photos and all(u["attached"] for u in data["uploads"])


def test_closing_keeps_the_stars_and_takes_the_words_and_photos(app: Flask, client: FlaskClient) -> None:
    bought, photos = _reviewed(app, client)
    with app.app_context():
        rating_before = db.session.scalar(select(Leader.rating_bp).where(Leader.id == bought.leader_id))
    with clock.frozen(T0 + timedelta(hours=2)):
        assert client.delete("/api/v1/me", headers=bought.headers).status_code == 204
    with app.app_context():
        kept = db.session.scalars(select(Review).where(Review.user_id == bought.buyer_id)).one()
        assert (kept.rating, kept.content, kept.photo_ids, kept.photo_count) == (5, "", [], 0)
        uploads = db.session.scalars(select(Upload).where(Upload.id.in_(photos))).all()
        assert len(uploads) == 2 and all(u.attached_at is None for u in uploads)
        assert db.session.scalar(select(Leader.rating_bp).where(Leader.id == bought.leader_id)) == rating_before
    listed = client.get(f"/api/v1/deals/{bought.deal_ids[0]}/reviews").get_json()
    assert [(r["rating"], r["content"]) for r in listed["items"]] == [(5, "")]
