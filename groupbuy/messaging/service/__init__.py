"""Messaging use cases: conversations, messages, unread counts, the leader's response figures."""

from groupbuy.messaging.service.access import Viewer, viewer_for
from groupbuy.messaging.service.conversations import (
    ConversationPage,
    ConversationView,
    LastMessage,
    conversation_view,
    list_conversations,
    open_conversation,
)
from groupbuy.messaging.service.figures import ResponseFigures, response_figures
from groupbuy.messaging.service.messages import (
    MessagePage,
    MessageView,
    erase_messages_of,
    list_messages,
    messages_of,
    post_message,
)
from groupbuy.messaging.service.start import start_conversation

__all__ = [
    "ConversationPage",
    "ConversationView",
    "LastMessage",
    "MessagePage",
    "MessageView",
    "ResponseFigures",
    "Viewer",
    "conversation_view",
    "erase_messages_of",
    "list_conversations",
    "list_messages",
    "messages_of",
    "open_conversation",
    "post_message",
    "response_figures",
    "start_conversation",
    "viewer_for",
]
