"""Notification test data: WeChat identities (openids) and raw outbox rows."""

from __future__ import annotations

import itertools
from datetime import datetime

from groupbuy.accounts.models import WeChatIdentity
from groupbuy.db import db, transaction
from groupbuy.notifications.enums import OutboxStatus, Transport
from groupbuy.notifications.models import OutboxMessage

_openids = itertools.count(1)


def add_openid(user_id: int, now: datetime) -> str:
    """Give a user a WeChat mini-app identity; returns the openid."""
    openid = f"o-test-{next(_openids):06d}"
    with transaction():
        db.session.add(WeChatIdentity(user_id=user_id, openid=openid, session_key="sk-test", updated_at=now))
    return openid


def outbox_message(*, now: datetime, target: str = "a@example.com", transport: Transport = Transport.EMAIL) -> int:
    """A pending outbound e-mail (a verification-code style message, no notification behind it)."""
    message = OutboxMessage(
        transport=transport,
        target=target,
        template="notification",
        payload={"title": "标题", "body": "正文"},
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    with transaction():
        db.session.add(message)
    return message.id
