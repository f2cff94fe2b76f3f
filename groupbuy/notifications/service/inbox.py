"""In-app notifications: written once per dedupe key (set-based), listed and marked read by their owner."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import current_app
from sqlalchemy import Insert, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from groupbuy.accounts.models import User, WeChatIdentity
from groupbuy.common.pagination import paginate
from groupbuy.db import db, transaction
from groupbuy.errors import NotFound
from groupbuy.notifications.enums import Channel, OutboxStatus
from groupbuy.notifications.models import Notification, OutboxMessage
from groupbuy.notifications.templates import render_notice

CHUNK = 500


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


def insert_ignoring_duplicates(table: Table, *, key: list[str]) -> Insert:
    """An INSERT (run it with a list of rows) that skips rows whose ``key`` already exists (PostgreSQL, SQLite)."""
    dialect = db.session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return build(table).on_conflict_do_nothing(index_elements=key)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def notify(*, notices: Sequence[Notice], now: datetime) -> int:
    """Write each notice once (a dedupe key already present is skipped) and queue its outbound copies."""
    created = 0
    table = cast(Table, Notification.__table__)
    with transaction():
        for chunk in _chunks(notices):
            rows, by_key = [], {}
            for notice in chunk:
                title, body = render_notice(notice.kind, notice.fields)
                by_key[notice.dedupe_key] = (notice, title, body)
                rows.append(
                    {
                        "user_id": notice.user_id,
                        "kind": str(notice.kind),
                        "title": title,
                        "body": body,
                        "payload": notice.fields,
                        "dedupe_key": notice.dedupe_key,
                        "created_at": now,
                        "read_at": None,
                    }
                )
            inserted = db.session.execute(
                insert_ignoring_duplicates(table, key=["dedupe_key"]).returning(table.c.id, table.c.dedupe_key), rows
            ).all()
            created += len(inserted)
            _queue_outbound([(row.id, *by_key[row.dedupe_key]) for row in inserted], now)
    return created


def _kinds(value: Any) -> set[str]:
    """A list of kinds from config: a list, or a comma-separated string from the environment."""
    if isinstance(value, str):
        return {v.strip() for v in value.split(",") if v.strip()}
    return {str(v) for v in value or ()}


def _queue_outbound(created: list[tuple[int, Notice, str, str]], now: datetime) -> None:
    """Outbox rows for new notices: mini-app to WeChat users, SMS / e-mail for the configured kinds."""
    if not created:
        return
    config = current_app.config
    miniapp = str(config["MINIAPP_CHANNEL"])
    templates = config["WECHAT_SUBSCRIBE_TEMPLATES"] or {}
    sms_kinds, email_kinds = _kinds(config["NOTIFY_SMS_KINDS"]), _kinds(config["NOTIFY_EMAIL_KINDS"])
    user_ids = list({notice.user_id for _, notice, _, _ in created})
    openids = dict(
        db.session.execute(
            select(WeChatIdentity.user_id, WeChatIdentity.openid).where(WeChatIdentity.user_id.in_(user_ids))
        ).all()
    )
    contacts = {}
    if sms_kinds or email_kinds:
        contacts = {
            row.id: (row.phone, row.email)
            for row in db.session.execute(select(User.id, User.phone, User.email).where(User.id.in_(user_ids)))
        }
    rows = []
    for notification_id, notice, title, body in created:
        kind = str(notice.kind)
        targets: list[tuple[Channel, str | None]] = []
        if miniapp == "console" or (miniapp == "wechat" and kind in templates):
            targets.append((Channel.MINIAPP, openids.get(notice.user_id)))
        phone, email = contacts.get(notice.user_id, (None, None))
        if kind in sms_kinds:
            targets.append((Channel.SMS, phone))
        if kind in email_kinds:
            targets.append((Channel.EMAIL, email))
        payload = {**notice.fields, "title": title, "body": body}
        rows += [
            {
                "channel": channel,
                "target": target,
                "user_id": notice.user_id,
                "notification_id": notification_id,
                "template": kind,
                "payload": payload,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for channel, target in targets
            if target
        ]
    outbox = cast(Table, OutboxMessage.__table__)
    if rows:
        db.session.execute(insert_ignoring_duplicates(outbox, key=["notification_id", "channel"]), rows)


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
