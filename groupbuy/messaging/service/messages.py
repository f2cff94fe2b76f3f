"""Writing and reading messages: reading marks read, writing tells the other side (at most one notice per
conversation and side every few minutes, so a chat does not spam)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update

from groupbuy.accounts.models import User
from groupbuy.common.fields import mask_mobiles_in_text
from groupbuy.common.pagination import paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Invalid, NotFound
from groupbuy.i18n import localized
from groupbuy.leaders.models import Leader
from groupbuy.messaging.enums import ConversationKind, Side
from groupbuy.messaging.models import MAX_IMAGES, Conversation, Message, MessageImage
from groupbuy.messaging.service.access import Viewer, conversation_for
from groupbuy.messaging.service.conversations import CS_NAME, PREVIEW_CHARS
from groupbuy.notifications.enums import NotificationKind
from groupbuy.notifications.service import Notice, notify
from groupbuy.orders.models import Order
from groupbuy.settings import settings
from groupbuy.uploads.models import Upload
from groupbuy.uploads.service import attachable_uploads, upload_url, uploads_by_id

IMAGE_PREVIEW = "[图片]"


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: int
    sender: str  # shopper, leader or cs
    sender_name: str
    mine: bool
    text: str
    order_id: int | None
    order_no: str | None
    images: list[dict[str, Any]]
    erased: bool
    created_at: datetime


@dataclass(frozen=True)
class MessagePage:
    items: list[MessageView]
    page: int
    page_size: int
    total: int


def post_message(
    *,
    viewer: Viewer,
    conversation_id: int,
    text: str,
    order_id: int | None,
    now: datetime,
    images: list[int] | None = None,
) -> MessageView:
    """Write to a conversation I take part in (404 otherwise): text, photos (my own uploads, at most 9) or both;
    tells the other side unless told recently."""
    text = mask_mobiles_in_text(text.strip())  # a phone number typed in a chat is shown masked, like everywhere
    if not text and not images:
        raise Invalid(errors={"text": ["Missing data for required field."]})
    with transaction():
        conversation, side = conversation_for(viewer, conversation_id)
        if order_id is not None:
            _check_order(conversation, order_id)
        photos = attachable_uploads(viewer.user_id, list(images or []), now=now, field="images", limit=MAX_IMAGES)
        message = Message(
            conversation_id=conversation.id,
            sender_id=viewer.user_id,
            side=side,
            body=text,
            order_id=order_id,
            created_at=now,
            images=[MessageImage(position=n, upload_id=photo.id) for n, photo in enumerate(photos)],
        )
        db.session.add(message)
        db.session.flush()
        read_column = Conversation.shopper_read_id if side is Side.SHOPPER else Conversation.staff_read_id
        db.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(
                {
                    Conversation.last_message_at: now,
                    # writing means having read the thread up to here
                    read_column: case((read_column < message.id, message.id), else_=read_column),
                }
            )
            .execution_options(synchronize_session=False)
        )
        _tell_the_other_side(conversation, message, now)
        return _views([message], viewer, conversation)[0]


def _check_order(conversation: Conversation, order_id: int) -> None:
    """A message may name one of the shopper's orders (with this leader, in a leader conversation)."""
    order = db.session.get(Order, order_id)
    if order is None or order.user_id != conversation.shopper_id:
        raise NotFound()
    if conversation.leader_id is not None and order.leader_id != conversation.leader_id:
        raise NotFound()


def _tell_the_other_side(conversation: Conversation, message: Message, now: datetime) -> None:
    """One in-app notice (and its outbound copies) per conversation and side per notice interval."""
    if message.side is Side.SHOPPER:
        if conversation.leader_id is None:
            return  # customer service works from its queue (GET /conversations), not from notices
        recipient = db.session.scalar(select(Leader.user_id).where(Leader.id == conversation.leader_id))
        column = Conversation.staff_notified_at
        sender = str(db.session.scalar(select(User.nickname).where(User.id == conversation.shopper_id)) or "")
    else:
        recipient = conversation.shopper_id
        column = Conversation.shopper_notified_at
        sender = _staff_name(conversation)
    quiet_since = now - timedelta(minutes=settings().messaging_notice_interval_minutes)
    claimed = db.session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, or_(column.is_(None), column <= quiet_since))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if recipient is None or not claimed.rowcount:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        return
    notice = Notice(
        user_id=recipient,
        kind=NotificationKind.NEW_MESSAGE,
        dedupe_key=f"message:{message.id}",
        fields={
            "conversation_id": conversation.id,
            "sender": sender,
            "preview": message.body[:PREVIEW_CHARS] or IMAGE_PREVIEW,
        },
    )
    notify(notices=[notice], now=now)


def _staff_name(conversation: Conversation) -> str:
    if conversation.leader_id is None:
        return CS_NAME[0]
    return str(db.session.scalar(select(Leader.display_name).where(Leader.id == conversation.leader_id)) or "")


def list_messages(*, viewer: Viewer, conversation_id: int, page: int, page_size: int, now: datetime) -> MessagePage:
    """A page of the conversation, newest first; the other side's messages up to the newest are now read."""
    with transaction():
        conversation, side = conversation_for(viewer, conversation_id)
        query = select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id.desc())
        found = paginate(query, page=page, page_size=page_size)
        newest = db.session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation.id))
        read_column = Conversation.shopper_read_id if side is Side.SHOPPER else Conversation.staff_read_id
        if newest is not None:
            db.session.execute(
                update(Conversation)
                .where(Conversation.id == conversation.id, read_column < newest)
                .values({read_column: newest})
                .execution_options(synchronize_session=False)
            )
        return MessagePage(
            items=_views(found.items, viewer, conversation), page=page, page_size=page_size, total=found.total
        )


def _views(messages: list[Message], viewer: Viewer, conversation: Conversation) -> list[MessageView]:
    shopper_name = str(db.session.scalar(select(User.nickname).where(User.id == conversation.shopper_id)) or "")
    staff_name = localized(CS_NAME) if conversation.kind is ConversationKind.CS else _staff_name(conversation)
    order_ids = {m.order_id for m in messages if m.order_id is not None}
    order_nos = dict(db.session.execute(select(Order.id, Order.order_no).where(Order.id.in_(order_ids))).all())
    staff_word = "cs" if conversation.kind is ConversationKind.CS else "leader"
    uploads = uploads_by_id(image.upload_id for m in messages for image in m.images)
    return [
        MessageView(
            id=m.id,
            conversation_id=m.conversation_id,
            sender="shopper" if m.side is Side.SHOPPER else staff_word,
            sender_name=shopper_name if m.side is Side.SHOPPER else staff_name,
            mine=m.sender_id == viewer.user_id,
            text=m.body,
            order_id=m.order_id,
            order_no=order_nos.get(m.order_id) if m.order_id is not None else None,
            images=[
                {"id": image.upload_id, "url": upload_url(uploads[image.upload_id])}
                for image in m.images
                if image.upload_id in uploads
            ],
            erased=m.erased_at is not None,
            created_at=m.created_at,
        )
        for m in messages
    ]


def messages_of(*, user_id: int) -> list[Message]:
    """Every message the user wrote (the account export)."""
    return list(db.session.scalars(select(Message).where(Message.sender_id == user_id).order_by(Message.id)))


def erase_messages_of(*, user_id: int, now: datetime) -> int:
    """Closing an account: the user's messages lose their text and photos (the other side keeps the thread and its
    times, which the leader's response figures count); the photos' uploads are detached, so the orphan purge
    deletes them and their files. Returns how many messages were erased."""
    with transaction():
        mine = select(Message.id).where(Message.sender_id == user_id)
        photos = select(MessageImage.upload_id).where(MessageImage.message_id.in_(mine))
        db.session.execute(
            update(Upload)
            .where(Upload.id.in_(photos), Upload.owner_id == user_id)
            .values(attached_at=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(delete(MessageImage).where(MessageImage.message_id.in_(mine)))
        result = db.session.execute(
            update(Message)
            .where(Message.sender_id == user_id, Message.erased_at.is_(None))
            .values(body="", erased_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
