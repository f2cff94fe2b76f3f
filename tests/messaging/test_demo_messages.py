"""The demo (`flask groupbuy demo-data`) gives the demo leader answered and unanswered conversations and a shopper
a conversation with customer service; a second load adds nothing."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.messaging.enums import ConversationKind
from groupbuy.messaging.models import Conversation, Message
from groupbuy.messaging.service import response_figures

DEMO_NOW = datetime.fromisoformat("2026-11-22T10:00:00+08:00")


def test_the_demo_leader_has_conversations_and_response_figures(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["groupbuy", "demo-data", "--now", DEMO_NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Demo messages: 4 conversations with" in result.output and "↔ 客服" in result.output
    with app.app_context():
        leader_id = db.session.scalar(
            select(Leader.id).join(User, User.id == Leader.user_id).where(User.phone == "13800001000")
        )
        assert leader_id is not None
        figures = response_figures(leader_id=leader_id, days=30, now=DEMO_NOW)
        cs = db.session.scalar(select(func.count()).where(Conversation.kind == ConversationKind.CS))
        messages = db.session.scalar(select(func.count()).select_from(Message))
        latest = db.session.scalar(select(func.max(Message.created_at)))
    assert (figures.inquiries, figures.answered_in_time) == (3, 2)  # one late-night question never answered
    assert figures.median_first_response_seconds is not None and cs == 1
    assert latest is not None and latest <= DEMO_NOW  # nothing in the future
    again = runner.invoke(args=["groupbuy", "demo-data", "--now", DEMO_NOW.isoformat()])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == messages
