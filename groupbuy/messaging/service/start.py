"""A shopper starts (or returns to) a conversation, optionally with a first message, in one unit of work."""

from __future__ import annotations

from datetime import datetime

from groupbuy.db import transaction
from groupbuy.messaging.enums import ConversationKind
from groupbuy.messaging.service.access import Viewer
from groupbuy.messaging.service.conversations import ConversationView, conversation_view, open_conversation
from groupbuy.messaging.service.messages import post_message


def start_conversation(
    *,
    viewer: Viewer,
    kind: ConversationKind,
    leader_id: int | None,
    order_id: int | None,
    text: str | None,
    now: datetime,
) -> tuple[ConversationView, bool]:
    """Open or find my conversation, write ``text`` in it if given; the view and whether it was created."""
    with transaction():
        conversation, created = open_conversation(
            viewer=viewer, kind=kind, leader_id=leader_id, order_id=order_id, now=now
        )
        if text:
            post_message(viewer=viewer, conversation_id=conversation.id, text=text, order_id=order_id, now=now)
        return conversation_view(viewer=viewer, conversation_id=conversation.id), created
