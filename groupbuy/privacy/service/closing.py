"""Closing an account (注销): refused while anything is still open, then every personal field is erased.

What is erased: phone, e-mail, password, nickname, avatar; the address book; WeChat identities (openid,
unionid, session_key); verification codes sent to the phone / e-mail; in-app notifications and every
outbound message to the user; cart, idempotency keys, purchase counters; leader applications' and a
(suspended) leader profile's name, phone and address; identifiers quoted in audit reasons about the user.
What is kept, blanked, for accounting: orders (address snapshot removed), their lines and timeline,
payments and refunds; the messages the user wrote keep their place and time in the other side's
conversation (a leader's response figures count them) but lose their text (shown as erased); the user's
reviews keep their stars (the ratings count them) but lose their words and photos (uploads detached, purged).
The user row stays (orders point to it) with status ``closed``; its tokens are revoked; the phone / e-mail can register
a new account. Raw provider notifications hold no personal field
of ours and are pruned by their retention job.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update

from groupbuy.accounts.enums import UserStatus
from groupbuy.accounts.models import Address, AuthToken, User, VerificationCode, WeChatIdentity
from groupbuy.audit.models import AuditEntry
from groupbuy.audit.service import record_action
from groupbuy.cart.models import CartItem
from groupbuy.catalog.models import UserDealPurchase
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Unauthorized
from groupbuy.idempotency.models import IdempotencyKey
from groupbuy.leaders.enums import ApplicationStatus, LeaderStatus
from groupbuy.leaders.models import Leader, LeaderApplication
from groupbuy.messaging.service import erase_messages_of
from groupbuy.notifications.models import Notification, OutboxMessage
from groupbuy.orders.models import Order
from groupbuy.orders.states import TERMINAL_STATES
from groupbuy.reviews.service import erase_reviews_of

CLOSED_NICKNAME = "已注销用户"
CLOSED_LEADER_NAME = "已注销团长"
_REDACTED = "***"


def close_account(*, user_id: int, now: datetime) -> None:
    """409 while an order is open or the user runs a pickup point; otherwise anonymise, revoke, audit."""
    with transaction():
        user = db.session.get(User, user_id, with_for_update=True)
        if user is None or user.status is not UserStatus.ACTIVE:
            raise Unauthorized()
        _check_nothing_open(user_id)
        identifiers = _identifiers(user)
        _erase_account_data(user_id, identifiers)
        _erase_leader_data(user_id, now)
        _scrub_audit_reasons(user_id, identifiers, user.nickname)
        erase_messages_of(user_id=user_id, now=now)
        erase_reviews_of(user_id=user_id)
        db.session.execute(
            update(User)
            .where(User.id == user_id, User.status == UserStatus.ACTIVE)
            .values(
                phone=None,
                email=None,
                password_hash=None,
                nickname=CLOSED_NICKNAME,
                avatar_url=None,
                status=UserStatus.CLOSED,
                closed_at=now,
                current_leader_id=None,
                login_failures=0,
                login_failure_window_start=None,
                locked_until=None,
                updated_at=now,
            )
        )
        db.session.execute(
            update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None)).values(revoked_at=now)
        )
        record_action(
            actor_id=user_id,
            action="user.closed",
            object_type="user",
            object_id=user_id,
            before={"status": UserStatus.ACTIVE.value},
            after={"status": UserStatus.CLOSED.value},
            reason="closed by the account owner",
            now=now,
        )
        db.session.expire(user)


def _check_nothing_open(user_id: int) -> None:
    open_order = exists().where(Order.user_id == user_id, Order.status.not_in(TERMINAL_STATES))
    if db.session.scalar(select(open_order)):
        raise Conflict("account_has_open_orders")
    leader = db.session.scalar(select(Leader).where(Leader.user_id == user_id))
    if leader is None:
        return
    open_at_point = exists().where(Order.leader_id == leader.id, Order.status.not_in(TERMINAL_STATES))
    if leader.status is LeaderStatus.ACTIVE or db.session.scalar(select(open_at_point)):
        raise Conflict("leader_must_hand_over")


def _identifiers(user: User) -> list[str]:
    """The strings that name this person anywhere: phone, e-mail, openid, unionid."""
    found = [user.phone, user.email]
    for identity in db.session.scalars(select(WeChatIdentity).where(WeChatIdentity.user_id == user.id)):
        found += [identity.openid, identity.unionid]
    return [value for value in found if value]


def _erase_account_data(user_id: int, identifiers: list[str]) -> None:
    notifications = select(Notification.id).where(Notification.user_id == user_id)
    db.session.execute(
        delete(OutboxMessage).where(
            or_(
                OutboxMessage.user_id == user_id,
                OutboxMessage.target.in_(identifiers),
                OutboxMessage.notification_id.in_(notifications),
            )
        )
    )
    for model in (Notification, Address, CartItem, IdempotencyKey, UserDealPurchase, WeChatIdentity):
        db.session.execute(delete(model).where(model.user_id == user_id))
    db.session.execute(delete(VerificationCode).where(VerificationCode.target.in_(identifiers)))
    db.session.execute(update(Order).where(Order.user_id == user_id).values(address=None))


def _erase_leader_data(user_id: int, now: datetime) -> None:
    blank = {"real_name": "", "phone": "", "display_name": CLOSED_LEADER_NAME, "address": "", "updated_at": now}
    db.session.execute(
        update(LeaderApplication)
        .where(LeaderApplication.user_id == user_id, LeaderApplication.status == ApplicationStatus.PENDING)
        .values(status=ApplicationStatus.REJECTED, reject_reason="applicant closed the account", reviewed_at=now)
    )
    db.session.execute(
        update(LeaderApplication).where(LeaderApplication.user_id == user_id).values(licences=[], **blank)
    )
    db.session.execute(update(Leader).where(Leader.user_id == user_id).values(**blank))


def _scrub_audit_reasons(user_id: int, identifiers: list[str], nickname: str) -> None:
    """Audit entries stay (accountability), but a reason quoting the person's phone, e-mail or openid loses it
    (and, in entries about them, their nickname)."""
    about = or_(AuditEntry.actor_id == user_id, (AuditEntry.object_type == "user") & (AuditEntry.object_id == user_id))
    quoting = [AuditEntry.reason.contains(value, autoescape=True) for value in identifiers]
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.reason.is_not(None), or_(about, *quoting))):
        mine = entry.actor_id == user_id or (entry.object_type == "user" and entry.object_id == user_id)
        needles = [*identifiers, nickname] if mine and len(nickname) >= 2 else identifiers
        if needles:
            pattern = re.compile("|".join(re.escape(v) for v in sorted(needles, key=len, reverse=True)))
            entry.reason = pattern.sub(_REDACTED, entry.reason or "")
