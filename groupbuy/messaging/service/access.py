"""Who may see a conversation, and from which side: its shopper, its leader, or (for a cs one) any cs user."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select

from groupbuy.accounts.enums import Role
from groupbuy.db import db
from groupbuy.errors import NotFound
from groupbuy.leaders.models import Leader
from groupbuy.messaging.enums import ConversationKind, Side
from groupbuy.messaging.models import Conversation, Message


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as messaging sees them: their own id, the pickup point they run, whether they are cs."""

    user_id: int
    leader_id: int | None
    is_cs: bool


def viewer_for(*, user_id: int, roles: Iterable[Role]) -> Viewer:
    leader_id = db.session.scalar(select(Leader.id).where(Leader.user_id == user_id))
    return Viewer(user_id=user_id, leader_id=leader_id, is_cs=Role.CS in set(roles))


def side_in(conversation: Conversation, viewer: Viewer) -> Side | None:
    """The viewer's side of the conversation, or None when they take no part in it."""
    if conversation.shopper_id == viewer.user_id:
        return Side.SHOPPER
    if conversation.kind is ConversationKind.LEADER and viewer.leader_id is not None:
        return Side.STAFF if conversation.leader_id == viewer.leader_id else None
    if conversation.kind is ConversationKind.CS and viewer.is_cs:
        return Side.STAFF
    return None


def visible_to(viewer: Viewer, *, as_side: str | None = None) -> ColumnElement[bool]:
    """The conversations the viewer takes part in (``as_side``: only as shopper, leader or cs)."""
    as_shopper = Conversation.shopper_id == viewer.user_id
    as_leader = (
        and_(Conversation.kind == ConversationKind.LEADER, Conversation.leader_id == viewer.leader_id)
        if viewer.leader_id is not None
        else false()
    )
    as_cs = (
        and_(Conversation.kind == ConversationKind.CS, Conversation.shopper_id != viewer.user_id)
        if viewer.is_cs
        else false()
    )
    chosen = {"shopper": [as_shopper], "leader": [as_leader], "cs": [as_cs]}.get(as_side or "")
    return or_(*(chosen or [as_shopper, as_leader, as_cs]))


def unread_for(viewer: Viewer) -> ColumnElement[bool]:
    """A message the viewer has not read: the other side's, above the viewer's side's read marker."""
    mine = Conversation.shopper_id == viewer.user_id
    return or_(
        and_(mine, Message.side == Side.STAFF, Message.id > Conversation.shopper_read_id),
        and_(~mine, Message.side == Side.SHOPPER, Message.id > Conversation.staff_read_id),
    )


def conversation_for(viewer: Viewer, conversation_id: int, *, lock: bool = False) -> tuple[Conversation, Side]:
    """The conversation and the viewer's side; 404 for anyone who takes no part in it."""
    conversation = db.session.get(Conversation, conversation_id, with_for_update=lock)
    side = side_in(conversation, viewer) if conversation is not None else None
    if conversation is None or side is None:
        raise NotFound()
    return conversation, side
