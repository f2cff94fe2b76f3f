"""New-message notices (rate-limited per conversation and side) and the leader's response figures, with an
injected clock."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.db import db
from groupbuy.messaging.enums import ConversationKind
from groupbuy.messaging.service import post_message, response_figures, start_conversation, viewer_for
from groupbuy.notifications.models import Notification
from tests.conftest import tune
from tests.factories.desk import Desk
from tests.factories.market import Shop
from tests.messaging.conftest import NOW, cs_headers, open_with_leader, say, shopper_headers


def _notices(app: Flask, user_id: int) -> list[dict[str, object]]:
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.kind == "new_message")
        )
        return [{"body": row.body, **row.payload} for row in rows]


def test_a_chat_tells_the_other_side_once_per_interval_not_once_per_message(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    tune(app, messaging_notice_interval_minutes=10)
    ann, headers = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, headers, text="苹果还有吗")
    clock.advance(timedelta(minutes=1))
    say(client, conversation_id, headers, "想要两箱")
    say(client, conversation_id, headers, "在吗")
    told = _notices(app, desk.leader_user_id)
    assert len(told) == 1 and told[0]["conversation_id"] == conversation_id
    assert told[0]["body"] == f"{ann.nickname}：苹果还有吗"
    clock.advance(timedelta(minutes=10))
    say(client, conversation_id, headers, "？")
    assert len(_notices(app, desk.leader_user_id)) == 2
    say(client, conversation_id, desk.headers, "有的")  # the other direction has its own interval
    told_ann = _notices(app, ann.id)
    assert len(told_ann) == 1 and told_ann[0]["body"].startswith("团长") and told_ann[0]["body"].endswith("：有的")


def test_customer_service_replies_tell_the_shopper_as_客服(app: Flask, client: FlaskClient, shop: Shop) -> None:
    ann, headers = shopper_headers(shop)
    opened = client.post("/api/v1/conversations", json={"kind": "cs", "text": "退款"}, headers=headers).json
    say(client, opened["id"], cs_headers(app, nickname="小美"), "已处理")
    assert [n["body"] for n in _notices(app, ann.id)] == ["客服：已处理"]


def _inquiry(app: Flask, shopper_id: int, leader_id: int, leader_user_id: int, script: list[tuple[str, float]]) -> None:
    """Messages at NOW - hours ago: ("s", 50) is the shopper 50 hours ago, ("l", 49.5) the leader."""
    with app.app_context():
        shopper = viewer_for(user_id=shopper_id, roles=[Role.SHOPPER])
        leader = viewer_for(user_id=leader_user_id, roles=[Role.LEADER])
        conversation = None
        for who, hours_ago in script:
            at = NOW - timedelta(hours=hours_ago)
            if conversation is None:
                conversation, _ = start_conversation(
                    viewer=shopper, kind=ConversationKind.LEADER, leader_id=leader_id, order_id=None, text=None, now=at
                )
            viewer = shopper if who == "s" else leader
            post_message(
                viewer=viewer, conversation_id=conversation.id, text=f"{who}@{hours_ago}", order_id=None, now=at
            )


def test_response_rate_and_median_first_response_come_from_the_messages(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    leader, me = shop.leader_id, desk.leader_user_id
    a, b, c, d = (shop.shopper().id for _ in range(4))
    # a: answered in 10 minutes, says thanks 8 minutes later (no inquiry); asks again days later (two messages) and
    # is answered 2 hours after the first of them.
    _inquiry(app, a, leader, me, [("s", 100), ("l", 100 - 1 / 6), ("s", 99.7), ("s", 10), ("s", 9), ("l", 8)])
    # b: answered after 30 hours (too late); an inquiry 40 days ago is outside the window.
    _inquiry(app, b, leader, me, [("s", 40 * 24), ("s", 60), ("l", 30)])
    # c: never answered, asked 2 days ago (counts); d: asked an hour ago (not due yet, does not count).
    _inquiry(app, c, leader, me, [("s", 48)])
    _inquiry(app, d, leader, me, [("s", 1)])
    with app.app_context():
        figures = response_figures(leader_id=leader, days=30, now=NOW)
    assert (figures.inquiries, figures.answered_in_time, figures.response_rate_bp) == (4, 2, 5000)
    assert figures.median_first_response_seconds == 2 * 3600  # of 10 min, 30 h, 2 h
    answer = client.get("/api/v1/leader/response-figures", headers=desk.headers)
    assert answer.status_code == 200
    assert answer.json["response_rate_bp"] == 5000 and answer.json["median_first_response_seconds"] == 7200
    assert answer.json["days"] == 30
    week = client.get("/api/v1/leader/response-figures", query_string={"days": 2}, headers=desk.headers).json
    assert (week["inquiries"], week["answered_in_time"]) == (2, 1)  # a's second inquiry and c's
    tune(app, messaging_answer_hours=49)
    with app.app_context():
        generous = response_figures(leader_id=leader, days=30, now=NOW)
    assert (generous.inquiries, generous.answered_in_time) == (3, 3)  # c is not due yet
    tune(app, messaging_answer_hours=24, messaging_inquiry_gap_minutes=0)
    with app.app_context():
        strict = response_figures(leader_id=leader, days=30, now=NOW)
    # Without the quiet gap a's "thanks" opens an inquiry that the question days later joins: answered after 91.7 h.
    assert (strict.inquiries, strict.answered_in_time) == (4, 1)
    _, shopper = shopper_headers(shop)
    assert client.get("/api/v1/leader/response-figures", headers=shopper).status_code == 403


def test_a_leader_without_inquiries_has_no_rate_yet(app: Flask, shop: Shop) -> None:
    with app.app_context():
        figures = response_figures(leader_id=shop.leader_id, days=30, now=NOW)
    assert figures.inquiries == 0 and figures.response_rate_bp is None and figures.median_first_response_seconds is None
