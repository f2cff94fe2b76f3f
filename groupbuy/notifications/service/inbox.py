"""In-app notifications: written once per dedupe key (set-based), listed and marked read by their owner."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, column, func, select, table, update

from groupbuy.common.bulk import insert_many
from groupbuy.common.pagination import paginate
from groupbuy.db import db, transaction
from groupbuy.errors import NotFound
from groupbuy.notifications.enums import OutboxStatus, Transport
from groupbuy.notifications.models import Notification, OutboxMessage
from groupbuy.notifications.templates import render_notice
from groupbuy.settings import settings

CHUNK = 500
# Where a user can be reached, read by table name: notifications is a sink below accounts and imports none of its
# models (its foreign keys name these tables already).
USERS = table("users", column("id"), column("phone"), column("email"))
WECHAT_IDENTITIES = table("wechat_identities", column("user_id"), column("openid"))


@dataclass(frozen=True)
class Notice:
    """One thing to tell one user; the dedupe key names the event so a re-run cannot tell it twice."""

    user_id: int
    kind: str
    dedupe_key: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    page: int
    page_size: int
    total: int
    unread_count: int


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def notify(*, notices: Sequence[Notice], now: datetime) -> int:
    """Write each notice once (a dedupe key already present is skipped) and queue its outbound copies."""
    created = 0
    table = cast(Table, Notification.__table__)
    with transaction():
        for chunk in _chunks(notices):
            keys = {notice.dedupe_key for notice in chunk}
            seen = set(db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))))
            fresh: dict[str, tuple[Notice, str, str]] = {}
            for notice in chunk:
                if notice.dedupe_key not in seen and notice.dedupe_key not in fresh:
                    fresh[notice.dedupe_key] = (notice, *render_notice(notice.kind, notice.fields))
            if not fresh:
                continue
            rows = [
                {
                    "user_id": notice.user_id,
                    "kind": str(notice.kind),
                    "title": title,
                    "body": body,
                    "payload": notice.fields,
                    "dedupe_key": key,
                    "created_at": now,
                    "read_at": None,
                }
                for key, (notice, title, body) in fresh.items()
            ]
            # A concurrent writer of the same key wins quietly (unique key); outbound copies are unique too.
            insert_many(table, rows, skip_conflicts_on=["dedupe_key"])
            created += len(rows)
            _queue_outbound(fresh, now)
    return created


def _targets(fresh: dict[str, tuple[Notice, str, str]]) -> dict[str, list[tuple[Transport, str]]]:
    """Per new notice: mini-app to users who logged in with WeChat, SMS / e-mail for the configured kinds."""
    config = settings()
    miniapp, templates = config.miniapp_channel, config.wechat_subscribe_templates
    sms_kinds, email_kinds = set(config.notify_sms_kinds), set(config.notify_email_kinds)
    user_ids = list({notice.user_id for notice, _, _ in fresh.values()})
    openids = dict(
        db.session.execute(
            select(WECHAT_IDENTITIES.c.user_id, WECHAT_IDENTITIES.c.openid).where(
                WECHAT_IDENTITIES.c.user_id.in_(user_ids)
            )
        ).all()
    )
    contacts: dict[int, tuple[str | None, str | None]] = {}
    if any(str(notice.kind) in sms_kinds | email_kinds for notice, _, _ in fresh.values()):
        contacts = {
            row.id: (row.phone, row.email)
            for row in db.session.execute(
                select(USERS.c.id, USERS.c.phone, USERS.c.email).where(USERS.c.id.in_(user_ids))
            )
        }
    targets: dict[str, list[tuple[Transport, str]]] = {}
    for key, (notice, _, _) in fresh.items():
        kind = str(notice.kind)
        phone, email = contacts.get(notice.user_id, (None, None))
        wanted = [
            (Transport.MINIAPP, openids.get(notice.user_id) if miniapp == "console" or kind in templates else None),
            (Transport.SMS, phone if kind in sms_kinds else None),
            (Transport.EMAIL, email if kind in email_kinds else None),
        ]
        found = [(channel, target) for channel, target in wanted if target]
        if miniapp == "off":
            found = [(channel, target) for channel, target in found if channel is not Transport.MINIAPP]
        if found:
            targets[key] = found
    return targets


def _queue_outbound(fresh: dict[str, tuple[Notice, str, str]], now: datetime) -> None:
    """Outbox rows for the new notices that have somewhere to go (one per notice and channel)."""
    targets = _targets(fresh)
    if not targets:
        return
    ids = dict(
        db.session.execute(
            select(Notification.dedupe_key, Notification.id).where(Notification.dedupe_key.in_(list(targets)))
        ).all()
    )
    rows = [
        {
            "channel": channel,
            "target": target,
            "user_id": fresh[key][0].user_id,
            "notification_id": ids[key],
            "template": str(fresh[key][0].kind),
            "payload": {**fresh[key][0].fields, "title": fresh[key][1], "body": fresh[key][2]},
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for key, found in targets.items()
        for channel, target in found
    ]
    outbox = cast(Table, OutboxMessage.__table__)
    insert_many(outbox, rows, skip_conflicts_on=["notification_id", "channel"])


def list_notifications(*, user_id: int, unread: bool | None, page: int, page_size: int) -> NotificationPage:
    """My notifications, newest first; ``unread`` true lists only unread ones, false only read ones."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread is not None:
        query = query.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    found = paginate(query.order_by(Notification.id.desc()), page=page, page_size=page_size)
    unread_count = db.session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return NotificationPage(
        items=found.items, page=page, page_size=page_size, total=found.total, unread_count=unread_count or 0
    )


def mark_notification_read(*, user_id: int, notification_id: int, now: datetime) -> Notification:
    """Mark one of my notifications read (the first read time is kept); anyone else's is a 404."""
    with transaction():
        notification = db.session.get(Notification, notification_id)
        if notification is None or notification.user_id != user_id:
            raise NotFound()
        db.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.read_at.is_(None))
            .values(read_at=now)
        )
        db.session.refresh(notification)
        return notification


def mark_all_notifications_read(*, user_id: int, now: datetime) -> int:
    """Mark every unread notification of mine read; returns how many changed."""
    with transaction():
        result = db.session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
