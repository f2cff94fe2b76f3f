"""My messages in my data export, and closing my account erases their text but keeps the other side's thread."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.messaging.models import Message
from groupbuy.messaging.service import response_figures
from tests.factories.desk import Desk
from tests.factories.market import Shop
from tests.messaging.conftest import NOW, open_with_leader, say, shopper_headers


def test_the_export_holds_the_messages_i_wrote_and_not_the_other_sides(
    client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann, text="鸡蛋新鲜吗")
    say(client, conversation_id, desk.headers, "今早到的")
    exported = client.get("/api/v1/me/export", headers=ann).json["messages"]
    assert [(m["conversation_id"], m["side"], m["text"]) for m in exported] == [
        (conversation_id, "shopper", "鸡蛋新鲜吗")
    ]
    leaders = client.get("/api/v1/me/export", headers=desk.headers).json["messages"]
    assert [(m["side"], m["text"]) for m in leaders] == [("staff", "今早到的")]


def test_closing_my_account_erases_my_messages_text_and_keeps_the_thread_for_the_leader(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann, text="我家住幸福路8号3单元")
    clock.advance(timedelta(minutes=30))
    say(client, conversation_id, desk.headers, "好的")
    with app.app_context():
        before = response_figures(leader_id=shop.leader_id, days=30, now=NOW + timedelta(days=1))
    assert client.delete("/api/v1/me", headers=ann).status_code == 204
    page = client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=desk.headers).json
    assert [(m["sender"], m["text"], m["erased"]) for m in page["items"]] == [
        ("leader", "好的", False),
        ("shopper", "", True),
    ]
    with app.app_context():
        assert not db.session.scalars(select(Message).where(Message.body.contains("幸福路"))).all()
        after = response_figures(leader_id=shop.leader_id, days=30, now=NOW + timedelta(days=1))
    assert after == before and after.median_first_response_seconds == 30 * 60
