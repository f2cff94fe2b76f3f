"""The leader's response figures (seed 004), computed from the messages: response rate and median first-response
time over a window.

An inquiry is a shopper's message that opens a question: one written while no inquiry of the conversation is open
and after the conversation was quiet for ``messaging_inquiry_gap_minutes`` (or as its first message), so a
"thanks!" right after the leader's answer opens nothing. Later shopper messages before the answer belong to the
same inquiry. Its first response is the leader's next message. Counted are the inquiries that started in the
window; one still unanswered counts once the answer time (``messaging_answer_hours``) has passed, so a question
asked a minute ago does not lower the rate yet.

- response rate: inquiries answered within the answer time, over the inquiries counted;
- median first response: the median time to the first answer of the inquiries answered (whenever).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from groupbuy.db import db
from groupbuy.messaging.enums import ConversationKind, Side
from groupbuy.messaging.models import Conversation, Message
from groupbuy.settings import settings


@dataclass(frozen=True)
class ResponseFigures:
    days: int
    since: datetime
    answer_hours: int
    inquiries: int  # counted: answered, or older than the answer time
    answered_in_time: int
    response_rate_bp: int | None  # basis points (10000 = 100 %); None without inquiries
    median_first_response_seconds: int | None  # None until one inquiry is answered


def response_figures(*, leader_id: int, days: int, now: datetime) -> ResponseFigures:
    """The leader's response rate and median first-response time over the last ``days`` days."""
    since = now - timedelta(days=days)
    answer_hours = settings().messaging_answer_hours
    in_time = timedelta(hours=answer_hours)
    quiet = timedelta(minutes=settings().messaging_inquiry_gap_minutes)
    rows = db.session.execute(
        select(Message.conversation_id, Message.side, Message.created_at)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.leader_id == leader_id,
            Conversation.kind == ConversationKind.LEADER,
            Message.created_at >= since,
            Message.created_at <= now,
        )
        .order_by(Message.conversation_id, Message.id)
    ).all()
    open_since: dict[int, datetime] = {}
    last_at: dict[int, datetime] = {}
    delays: list[timedelta] = []
    for conversation_id, side, at in rows:
        previous = last_at.get(conversation_id)
        last_at[conversation_id] = at
        if side is Side.SHOPPER:
            if conversation_id not in open_since and (previous is None or at - previous >= quiet):
                open_since[conversation_id] = at
        elif conversation_id in open_since:
            delays.append(at - open_since.pop(conversation_id))
    unanswered = [at for at in open_since.values() if now - at >= in_time]
    counted = len(delays) + len(unanswered)
    answered_in_time = sum(1 for delay in delays if delay <= in_time)
    median = statistics.median(delay.total_seconds() for delay in delays) if delays else None
    return ResponseFigures(
        days=days,
        since=since,
        answer_hours=answer_hours,
        inquiries=counted,
        answered_in_time=answered_in_time,
        response_rate_bp=round(answered_in_time * 10000 / counted) if counted else None,
        median_first_response_seconds=round(median) if median is not None else None,
    )
