"""The figures page shows the leader's response rate and median first-response time, from the messages."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.messaging.enums import ConversationKind
from groupbuy.messaging.service import post_message, start_conversation, viewer_for
from tests.factories.market import T0, Shop
from tests.web.conftest import leader_phone, log_in


def _stat(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, element_id
    return found.group(1)


def _ask(app: Flask, shop: Shop, *, hours_ago: int, answer_minutes: int | None) -> None:
    """A shopper asks the Shop's leader at T0 - hours_ago; the leader answers after answer_minutes (or never)."""
    shopper_id = shop.shopper().id
    with app.app_context():
        leader = viewer_for(user_id=db.session.get_one(Leader, shop.leader_id).user_id, roles=[Role.LEADER])
        shopper = viewer_for(user_id=shopper_id, roles=[Role.SHOPPER])
        asked = T0 - timedelta(hours=hours_ago)
        view, _ = start_conversation(
            viewer=shopper,
            kind=ConversationKind.LEADER,
            leader_id=shop.leader_id,
            order_id=None,
            text="在吗",
            now=asked,
        )
        if answer_minutes is not None:
            at = asked + timedelta(minutes=answer_minutes)
            post_message(viewer=leader, conversation_id=view.id, text="在的", order_id=None, now=at)


def test_figures_show_the_leaders_response_rate_and_median_first_response(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    with clock.frozen(T0):
        log_in(client, leader_phone(app, shop))
        empty = client.get("/workbench/figures").text
    assert _stat(empty, "fig-response-rate") == "–" and _stat(empty, "fig-first-response") == "–"
    _ask(app, shop, hours_ago=30, answer_minutes=20)
    _ask(app, shop, hours_ago=20, answer_minutes=40)
    _ask(app, shop, hours_ago=50, answer_minutes=None)  # never answered: counts against the rate
    _ask(app, shop, hours_ago=24 * 10, answer_minutes=5)  # outside the 7 days, inside the 30
    with clock.frozen(T0):
        week = client.get("/workbench/figures").text
        month = client.get("/workbench/figures?days=30").text
        english = client.get("/workbench/figures", headers={"Accept-Language": "en"}).text
    assert _stat(week, "fig-response-rate") == "66.7%"  # 2 of 3 inquiries answered within 24 hours
    assert _stat(week, "fig-first-response") == "30分钟"  # the median of 20 and 40 minutes
    assert _stat(month, "fig-response-rate") == "75.0%" and _stat(month, "fig-first-response") == "20分钟"
    assert _stat(english, "fig-first-response") == "30 min" and "Response rate" in english
