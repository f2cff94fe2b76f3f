"""Everything we hold about the caller, gathered from every table keyed by them (PIPL: the right to a copy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, or_, select

from groupbuy.accounts.models import Address, AuthToken, User, WeChatIdentity
from groupbuy.audit.models import AuditEntry
from groupbuy.cart.models import CartItem
from groupbuy.db import db
from groupbuy.errors import Unauthorized
from groupbuy.leaders.models import Leader, LeaderApplication, LeaderCreditEvent
from groupbuy.messaging.models import Message
from groupbuy.messaging.service import messages_of
from groupbuy.notifications.models import Notification
from groupbuy.orders.models import Order
from groupbuy.payments.models import Payment, Refund
from groupbuy.reviews.models import Review
from groupbuy.reviews.service import reviews_of
from groupbuy.uploads.models import Upload
from groupbuy.uploads.service import uploads_of

T = TypeVar("T")


@dataclass(frozen=True)
class DataExport:
    generated_at: datetime
    profile: User
    wechat_linked: bool
    sessions: Sequence[AuthToken]
    addresses: Sequence[Address]
    cart: Sequence[CartItem]
    orders: Sequence[Order]
    payments: Sequence[Payment]
    refunds: Sequence[Refund]
    notifications: Sequence[Notification]
    leader_applications: Sequence[LeaderApplication]
    leader: Leader | None
    credit_events: Sequence[LeaderCreditEvent]
    audit_entries: Sequence[AuditEntry]
    messages: Sequence[Message] = ()  # the messages I wrote (to leaders, to customer service, to my shoppers)
    reviews: Sequence[Review] = ()  # the reviews I wrote, with their follow-ups
    uploads: Sequence[Upload] = ()  # the images I uploaded (review, after-sale and message photos)


def export_user_data(*, user_id: int, now: datetime) -> DataExport:
    """A copy of the caller's data; other people's data (a leader's shoppers) is not included."""
    user = db.session.get(User, user_id)
    if user is None:
        raise Unauthorized()
    orders = list(db.session.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.id)))
    order_ids = [order.id for order in orders]
    applications = _all(
        select(LeaderApplication).where(LeaderApplication.user_id == user_id).order_by(LeaderApplication.id)
    )
    leader = db.session.scalar(select(Leader).where(Leader.user_id == user_id))
    return DataExport(
        generated_at=now,
        profile=user,
        wechat_linked=db.session.scalar(select(WeChatIdentity.id).where(WeChatIdentity.user_id == user_id)) is not None,
        sessions=_all(select(AuthToken).where(AuthToken.user_id == user_id).order_by(AuthToken.id)),
        addresses=_all(select(Address).where(Address.user_id == user_id).order_by(Address.id)),
        cart=_all(select(CartItem).where(CartItem.user_id == user_id).order_by(CartItem.id)),
        orders=orders,
        payments=_all(select(Payment).where(Payment.order_id.in_(order_ids)).order_by(Payment.id)),
        refunds=_all(select(Refund).where(Refund.order_id.in_(order_ids)).order_by(Refund.id)),
        notifications=_all(select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)),
        leader_applications=applications,
        leader=leader,
        credit_events=[]
        if leader is None
        else _all(
            select(LeaderCreditEvent).where(LeaderCreditEvent.leader_id == leader.id).order_by(LeaderCreditEvent.id)
        ),
        audit_entries=_audit_about(user_id, [a.id for a in applications], leader),
        messages=messages_of(user_id=user_id),
        reviews=reviews_of(user_id=user_id),
        uploads=uploads_of(owner_id=user_id),
    )


def _all(statement: Select[T]) -> list[T]:
    return list(db.session.scalars(statement))


def _audit_about(user_id: int, application_ids: list[int], leader: Leader | None) -> list[AuditEntry]:
    """Entries about the user, their applications and their pickup point, and the ones they wrote themselves."""
    about = [
        AuditEntry.actor_id == user_id,
        (AuditEntry.object_type == "user") & (AuditEntry.object_id == user_id),
        (AuditEntry.object_type == "leader_application") & AuditEntry.object_id.in_(application_ids),
    ]
    if leader is not None:
        about.append((AuditEntry.object_type == "leader") & (AuditEntry.object_id == leader.id))
    return list(db.session.scalars(select(AuditEntry).where(or_(*about)).order_by(AuditEntry.id)))
