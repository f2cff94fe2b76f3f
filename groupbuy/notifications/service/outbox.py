"""The outbox: every outbound message is a row first, then a leased delivery with capped exponential back-off."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, or_, select, update

from groupbuy.db import db, transaction
from groupbuy.notifications.enums import OutboxStatus, Transport
from groupbuy.notifications.models import OutboxMessage
from groupbuy.notifications.senders.base import (
    SENDERS,
    Outbound,
    PermanentSendError,
    Sender,
    TransientSendError,
)
from groupbuy.notifications.senders.miniapp import StaleTokenError, WeChatSubscribeSender
from groupbuy.notifications.service.wechat_token import cached_access_token, expire_wechat_token
from groupbuy.notifications.templates import render
from groupbuy.registry import registry
from groupbuy.settings import settings

log = structlog.get_logger(__name__)

BASE_BACKOFF = timedelta(seconds=30)
# Long enough for a whole batch of sends with their timeouts; a crashed deliverer's rows come back after it.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class DeliveryCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, status: OutboxStatus) -> None:
        if status is OutboxStatus.SENT:
            self.sent += 1
        elif status is OutboxStatus.FAILED:
            self.failed += 1
        else:
            self.retrying += 1


def enqueue_message(
    *,
    transport: Transport,
    target: str,
    template: str,
    payload: dict[str, Any],
    now: datetime,
    user_id: int | None = None,
) -> OutboxMessage:
    """Write an outbound message to the outbox; it is delivered after the transaction commits."""
    message = OutboxMessage(
        transport=transport,
        target=target,
        template=template,
        payload=payload,
        user_id=user_id,
        next_attempt_at=now,
        created_at=now,
    )
    with transaction():
        db.session.add(message)
    return message


def sender_for(transport: Transport, *, now: datetime | None = None) -> Sender:
    """The installed sender for a transport; the WeChat one with the stored access token (never fetched here)."""
    sender = registry().get(SENDERS, transport.value)
    if isinstance(sender, WeChatSubscribeSender):
        return sender.with_access_token(cached_access_token(now=now) if now else None)
    return sender


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
    )


def claim_due_messages(*, now: datetime, limit: int) -> tuple[list[int], str]:
    """Lease up to ``limit`` due messages to this deliverer; rows another deliverer holds are skipped."""
    token = secrets.token_hex(8)
    with transaction():
        ids = db.session.scalars(
            select(OutboxMessage.id)
            .where(*_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return [], token
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), *_due(now))
            .values(claimed_until=now + CLAIM_LEASE, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        claimed = db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
        ).all()
    return list(claimed), token


def deliver_due_messages(*, now: datetime, limit: int) -> DeliveryCounts:
    """Claim one batch of due messages and send each once; what is left waits for the next batch or run."""
    ids, token = claim_due_messages(now=now, limit=limit)
    counts = DeliveryCounts()
    senders: dict[Transport, Sender] = {}
    for message_id in ids:
        counts.add(_send_claimed(message_id=message_id, token=token, now=now, senders=senders))
    return counts


def deliver_message(*, message_id: int, now: datetime) -> OutboxStatus:
    """Send one message now if it is due and nobody else holds it (used right after a verification code)."""
    token = secrets.token_hex(8)
    with transaction():
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, *_due(now))
            .values(claimed_until=now + CLAIM_LEASE, claim_token=token)
            .execution_options(synchronize_session=False)
        )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        status = db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))
        return status or OutboxStatus.FAILED
    return _send_claimed(message_id=message_id, token=token, now=now, senders={})


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at OUTBOX_MAX_BACKOFF_SECONDS."""
    cap = timedelta(seconds=settings().outbox_max_backoff_seconds)
    factor: int = 2 ** min(attempts - 1, 30)
    return min(BASE_BACKOFF * factor, cap)


def _send_claimed(*, message_id: int, token: str, now: datetime, senders: dict[Transport, Sender]) -> OutboxStatus:
    message = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.id == message_id).execution_options(populate_existing=True)
    ).scalar_one()
    subject, body = render(message.template, message.payload)
    outbound = Outbound(
        target=message.target, subject=subject, body=body, kind=message.template, fields=message.payload
    )
    if message.transport not in senders:
        senders[message.transport] = sender_for(message.transport, now=now)
    status, error = OutboxStatus.SENT, None
    try:
        senders[message.transport].send(outbound)
    except StaleTokenError as exc:
        expire_wechat_token(now=now)
        senders.pop(message.transport, None)
        status, error = OutboxStatus.PENDING, f"transient: {exc}"
    except TransientSendError as exc:
        status, error = OutboxStatus.PENDING, f"transient: {exc}"
    except PermanentSendError as exc:
        status, error = OutboxStatus.FAILED, f"permanent: {exc}"
    attempts = message.attempts + 1
    if status is OutboxStatus.PENDING and attempts >= settings().outbox_max_attempts:
        status, error = OutboxStatus.FAILED, f"gave up after {attempts} attempts; {error}"
    _record(message_id, token, status=status, attempts=attempts, error=error, now=now)
    if error:
        log.warning("outbox_delivery_failed", message_id=message_id, attempts=attempts, error=error)
    return status


def _record(
    message_id: int, token: str, *, status: OutboxStatus, attempts: int, error: str | None, now: datetime
) -> None:
    """Write the outcome only while this deliverer still holds the lease."""
    with transaction():
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.claim_token == token,
            )
            .values(
                status=status,
                attempts=attempts,
                last_error=error,
                sent_at=now if status is OutboxStatus.SENT else None,
                next_attempt_at=now + _backoff(attempts),
                claimed_until=None,
                claim_token=None,
            )
            .execution_options(synchronize_session=False)
        )
