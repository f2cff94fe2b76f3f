"""HTTP doors of messaging: my conversations, their messages, and the leader's response figures."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_caller, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.extensions import limiter
from groupbuy.leaders.service import get_active_leader
from groupbuy.messaging import service
from groupbuy.messaging.schemas import (
    ConversationCreateSchema,
    ConversationPageSchema,
    ConversationQuerySchema,
    ConversationSchema,
    MessageCreateSchema,
    MessagePageSchema,
    MessageSchema,
    ResponseFiguresQuerySchema,
    ResponseFiguresSchema,
)
from groupbuy.settings import settings

blp = Blueprint("messaging", __name__, url_prefix="/api/v1", description="Conversations and messages")


def send_limit() -> str:
    """Per-user throttle on writing messages (GROUPBUY_MESSAGING_SEND_RATE_LIMIT)."""
    return settings().messaging_send_rate_limit


def _sender_key() -> str:
    return f"messages:{current_caller().id}"


def _viewer() -> service.Viewer:
    caller = current_caller()
    return service.viewer_for(user_id=caller.id, roles=caller.role_names)


@blp.route("/conversations")
class Conversations(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(ConversationQuerySchema(), location="query")
    @blp.response(200, ConversationPageSchema)
    def get(self, query: dict[str, Any]) -> service.ConversationPage:
        """My conversations (as shopper, leader or cs), latest first, with unread counts and my unread total."""
        return service.list_conversations(
            viewer=_viewer(), as_side=query.get("role"), page=query["page"], page_size=query["page_size"]
        )

    @require_roles(*SIGNED_IN)
    @blp.arguments(ConversationCreateSchema())
    @blp.response(201, ConversationSchema)
    @blp.alt_response(200, schema=ConversationSchema, description="the conversation existed already")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data: dict[str, Any]) -> tuple[service.ConversationView, int]:
        """Open my conversation with a leader (one I chose or ordered from) or with customer service, or get it."""
        view, created = service.start_conversation(
            viewer=_viewer(),
            kind=data["kind"],
            leader_id=data.get("leader_id"),
            order_id=data.get("order_id"),
            text=data.get("text"),
            now=clock.now(),
        )
        return view, 201 if created else 200


@blp.route("/conversations/<int:conversation_id>/messages")
class ConversationMessages(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(ConversationQuerySchema(only=("page", "page_size")), location="query")
    @blp.response(200, MessagePageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, query: dict[str, Any], conversation_id: int) -> service.MessagePage:
        """Messages, newest first; what the other side wrote is now read. Participants only (404 otherwise)."""
        return service.list_messages(
            viewer=_viewer(),
            conversation_id=conversation_id,
            page=query["page"],
            page_size=query["page_size"],
            now=clock.now(),
        )

    @require_roles(*SIGNED_IN)
    @limiter.limit(send_limit, key_func=_sender_key)
    @blp.arguments(MessageCreateSchema())
    @blp.response(201, MessageSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict[str, Any], conversation_id: int) -> service.MessageView:
        """Write a message (text and / or photos, optionally naming an order); the other side is told, at most once
        every few minutes. Photos must be my own uploads (422 otherwise)."""
        return service.post_message(
            viewer=_viewer(),
            conversation_id=conversation_id,
            text=data.get("text", ""),
            order_id=data.get("order_id"),
            images=data.get("images"),
            now=clock.now(),
        )


@blp.route("/leader/response-figures")
class LeaderResponseFigures(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(ResponseFiguresQuerySchema(), location="query")
    @blp.response(200, ResponseFiguresSchema)
    def get(self, query: dict[str, Any]) -> service.ResponseFigures:
        """My response rate and median first-response time to shoppers' inquiries over the last days (seed 004)."""
        leader = get_active_leader(user_id=current_caller().id)
        days = query.get("days") or settings().messaging_figures_days
        return service.response_figures(leader_id=leader.id, days=days, now=clock.now())
