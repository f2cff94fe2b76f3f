"""Opening a conversation (a shopper with their leader or with customer service) and listing mine with unread
counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from groupbuy.accounts.models import User
from groupbuy.common.pagination import paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Invalid, NotFound
from groupbuy.i18n import localized
from groupbuy.leaders.models import Leader
from groupbuy.messaging.enums import ConversationKind, Side
from groupbuy.messaging.models import Conversation, Message
from groupbuy.messaging.service.access import Viewer, conversation_for, side_in, unread_for, visible_to
from groupbuy.orders.models import Order

CS_NAME = ("客服", "Customer service")
PREVIEW_CHARS = 60


@dataclass(frozen=True)
class LastMessage:
    side: Side
    text: str
    has_images: bool
    created_at: datetime


@dataclass(frozen=True)
class ConversationView:
    id: int
    kind: ConversationKind
    my_side: Side
    leader_id: int | None
    counterpart_name: str
    unread_count: int
    last_message: LastMessage | None
    last_message_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ConversationPage:
    items: list[ConversationView]
    page: int
    page_size: int
    total: int
    unread_total: int


def open_conversation(
    *,
    viewer: Viewer,
    kind: ConversationKind,
    leader_id: int | None,
    order_id: int | None,
    now: datetime,
) -> tuple[Conversation, bool]:
    """The shopper's conversation with a leader (theirs: chosen, or ordered from) or with customer service; the
    existing one when there is one. Returns it and whether it was created."""
    with transaction():
        if order_id is not None:
            order = db.session.get(Order, order_id)
            if order is None or order.user_id != viewer.user_id:
                raise NotFound()
            if kind is ConversationKind.LEADER:
                if leader_id is not None and leader_id != order.leader_id:
                    raise Invalid(errors={"leader_id": ["not the leader of this order"]})
                leader_id = order.leader_id
        if kind is ConversationKind.LEADER:
            leader_id = _my_leader(viewer, leader_id)
        elif leader_id is not None:
            raise Invalid(errors={"leader_id": ["only for a conversation with a leader"]})
        found = _existing(viewer.user_id, kind, leader_id)
        if found is not None:
            return found, False
        conversation = Conversation(kind=kind, shopper_id=viewer.user_id, leader_id=leader_id, created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(conversation)
        except IntegrityError:  # opened at the same moment by another request: take that one
            found = _existing(viewer.user_id, kind, leader_id)
            if found is None:
                raise
            return found, False
        return conversation, True


def _my_leader(viewer: Viewer, leader_id: int | None) -> int:
    """A leader the shopper may write to: the one they chose, or one they have ordered from (else 404)."""
    if leader_id is None:
        raise Invalid(errors={"leader_id": ["Missing data for required field."]})
    leader = db.session.get(Leader, leader_id)
    if leader is None:
        raise NotFound()
    if leader.user_id == viewer.user_id:
        raise Invalid("cannot_message_yourself", errors={"leader_id": ["this is your own pickup point"]})
    chosen = db.session.scalar(select(User.current_leader_id).where(User.id == viewer.user_id)) == leader_id
    ordered = chosen or db.session.scalar(
        select(exists().where(Order.user_id == viewer.user_id, Order.leader_id == leader_id))
    )
    if not ordered:
        raise NotFound()
    return leader_id


def _existing(shopper_id: int, kind: ConversationKind, leader_id: int | None) -> Conversation | None:
    query = select(Conversation).where(Conversation.shopper_id == shopper_id, Conversation.kind == kind)
    if leader_id is not None:
        query = query.where(Conversation.leader_id == leader_id)
    return db.session.scalar(query)


def list_conversations(*, viewer: Viewer, as_side: str | None, page: int, page_size: int) -> ConversationPage:
    """My conversations, the latest message first, each with its unread count, and my unread total.

    A leader or cs user sees a conversation once the shopper has written in it."""
    mine = visible_to(viewer, as_side=as_side)
    started = (Conversation.shopper_id == viewer.user_id) | Conversation.last_message_at.is_not(None)
    query = (
        select(Conversation)
        .where(mine, started)
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
    )
    found = paginate(query, page=page, page_size=page_size)
    total = db.session.scalar(
        select(func.count())
        .select_from(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(visible_to(viewer), unread_for(viewer))
    )
    return ConversationPage(
        items=_views(found.items, viewer), page=page, page_size=page_size, total=found.total, unread_total=total or 0
    )


def conversation_view(*, viewer: Viewer, conversation_id: int) -> ConversationView:
    """One of my conversations as the list shows it (404 if I take no part in it)."""
    conversation, _ = conversation_for(viewer, conversation_id)
    return _views([conversation], viewer)[0]


def _views(conversations: list[Conversation], viewer: Viewer) -> list[ConversationView]:
    ids = [c.id for c in conversations]
    unread = dict(
        db.session.execute(
            select(Message.conversation_id, func.count())
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.conversation_id.in_(ids), unread_for(viewer))
            .group_by(Message.conversation_id)
        ).all()
    )
    names = _counterpart_names(conversations, viewer)
    last = _last_messages(ids)
    return [
        ConversationView(
            id=conversation.id,
            kind=conversation.kind,
            my_side=side_in(conversation, viewer) or Side.SHOPPER,
            leader_id=conversation.leader_id,
            counterpart_name=names[conversation.id],
            unread_count=int(unread.get(conversation.id, 0)),
            last_message=last.get(conversation.id),
            last_message_at=conversation.last_message_at,
            created_at=conversation.created_at,
        )
        for conversation in conversations
    ]


def _counterpart_names(conversations: list[Conversation], viewer: Viewer) -> dict[int, str]:
    """Who the viewer talks to: the leader's name or "客服" for the shopper, the shopper's nickname for staff."""
    leader_ids = {c.leader_id for c in conversations if c.leader_id is not None}
    shopper_ids = {c.shopper_id for c in conversations}
    leaders = dict(db.session.execute(select(Leader.id, Leader.display_name).where(Leader.id.in_(leader_ids))).all())
    shoppers = dict(db.session.execute(select(User.id, User.nickname).where(User.id.in_(shopper_ids))).all())
    names = {}
    for conversation in conversations:
        if conversation.shopper_id != viewer.user_id:
            names[conversation.id] = str(shoppers.get(conversation.shopper_id, ""))
        elif conversation.leader_id is not None:
            names[conversation.id] = str(leaders.get(conversation.leader_id, ""))
        else:
            names[conversation.id] = localized(CS_NAME)
    return names


def _last_messages(conversation_ids: list[int]) -> dict[int, LastMessage]:
    newest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
    )
    rows = db.session.scalars(select(Message).where(Message.id.in_(newest))).all()
    return {
        row.conversation_id: LastMessage(
            side=row.side, text=row.body[:PREVIEW_CHARS], has_images=bool(row.images), created_at=row.created_at
        )
        for row in rows
    }
