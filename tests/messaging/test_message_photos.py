"""Photos in messages: the sender's own uploads only (at most 9), shown with their URLs; closing an account takes
them away."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.messaging.models import MessageImage
from groupbuy.uploads.models import Upload
from groupbuy.uploads.service import purge_orphan_uploads
from tests.factories.desk import Desk
from tests.factories.market import Shop
from tests.messaging.conftest import conversations, open_with_leader, shopper_headers
from tests.uploads.images import image_bytes
from tests.uploads.test_uploads import upload


def _photo(client: FlaskClient, headers: dict[str, str], color: str = "orange") -> int:
    status, body = upload(client, headers, image_bytes(color=color))
    assert status == 201, body
    return int(body["id"])


def test_a_message_carries_my_photos_in_order_with_their_urls(client: FlaskClient, shop: Shop, desk: Desk) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann)
    first, second = _photo(client, ann, "red"), _photo(client, ann, "blue")
    path = f"/api/v1/conversations/{conversation_id}/messages"
    sent = client.post(path, json={"images": [second, first]}, headers=ann)  # photos alone, no text
    assert sent.status_code == 201, sent.json
    assert [i["id"] for i in sent.json["images"]] == [second, first] and sent.json["text"] == ""
    seen = client.get(path, headers=desk.headers).json["items"][0]
    assert [i["id"] for i in seen["images"]] == [second, first]
    assert all(i["url"].startswith("http://testserver/media/") for i in seen["images"])
    assert client.get(seen["images"][0]["url"].removeprefix("http://testserver")).status_code == 200
    assert conversations(client, desk.headers)["items"][0]["last_message"]["has_images"] is True


def test_photos_that_are_not_the_senders_are_refused(app: Flask, client: FlaskClient, shop: Shop, desk: Desk) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann)
    _, bob = shopper_headers(shop)
    bobs_photo = _photo(client, bob)
    path = f"/api/v1/conversations/{conversation_id}/messages"
    for headers in (ann, desk.headers):  # the shopper and the leader alike
        refused = client.post(path, json={"text": "看图", "images": [bobs_photo]}, headers=headers)
        assert refused.status_code == 422 and "images" in refused.json["errors"]
    assert client.post(path, json={"images": [999999]}, headers=ann).status_code == 422
    mine = [_photo(client, ann) for _ in range(10)]
    assert client.post(path, json={"images": mine}, headers=ann).status_code == 422  # at most 9
    with app.app_context():
        assert db.session.scalars(select(MessageImage)).all() == []
        assert db.session.get_one(Upload, bobs_photo).attached_at is None  # nothing kept from the refusals


def test_closing_my_account_removes_my_message_photos(app: Flask, client: FlaskClient, shop: Shop) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann)
    photo = _photo(client, ann)
    path = f"/api/v1/conversations/{conversation_id}/messages"
    assert client.post(path, json={"text": "门口这个箱子", "images": [photo]}, headers=ann).status_code == 201
    exported = client.get("/api/v1/me/export", headers=ann).json["messages"]
    assert [m["images"] for m in exported] == [[], [photo]]
    assert client.delete("/api/v1/me", headers=ann).status_code == 204
    with app.app_context():
        assert db.session.scalars(select(MessageImage)).all() == []
        purged = purge_orphan_uploads(now=clock.now() + timedelta(days=2), older_than=timedelta(hours=24), limit=100)
        assert purged == 1 and db.session.get(Upload, photo) is None
