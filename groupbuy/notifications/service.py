"""Queue outbound messages and deliver them through the configured channel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from flask import current_app
from sqlalchemy import update

from groupbuy.db import db, transaction
from groupbuy.notifications.channels.base import (
    Outbound,
    OutboundChannel,
    PermanentSendError,
    TransientSendError,
)
from groupbuy.notifications.channels.console import ConsoleChannel
from groupbuy.notifications.channels.email import SmtpEmailChannel
from groupbuy.notifications.channels.sms import WebhookSmsChannel
from groupbuy.notifications.enums import Channel, OutboxStatus
from groupbuy.notifications.models import OutboxMessage
from groupbuy.notifications.templates import render

log = structlog.get_logger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def enqueue_message(
    *,
    channel: Channel,
    target: str,
    template: str,
    payload: dict[str, Any],
    now: datetime,
    user_id: int | None = None,
) -> OutboxMessage:
    """Write an outbound message to the outbox; it is delivered after the transaction commits."""
    message = OutboxMessage(
        channel=channel,
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


def channel_for(channel: Channel) -> OutboundChannel:
    """The configured implementation for a channel (console in development)."""
    config = current_app.config
    if "OUTBOUND_CHANNELS" in current_app.extensions:  # tests install recording channels
        return cast(OutboundChannel, current_app.extensions["OUTBOUND_CHANNELS"][channel])
    timeout = float(config["HTTP_TIMEOUT_SECONDS"])
    if channel is Channel.SMS and config["SMS_CHANNEL"] == "webhook":
        return WebhookSmsChannel(url=config["SMS_WEBHOOK_URL"], timeout=timeout)
    if channel is Channel.EMAIL and config["EMAIL_CHANNEL"] == "smtp":
        return SmtpEmailChannel(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            user=config["SMTP_USER"],
            password=config["SMTP_PASSWORD"],
            sender=config["SMTP_FROM"],
            timeout=timeout,
        )
    return ConsoleChannel(channel.value)


def deliver_message(*, message_id: int, now: datetime) -> OutboxStatus:
    """Send one pending message; transient failures back off exponentially, permanent ones stop."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status is not OutboxStatus.PENDING:
        return message.status if message else OutboxStatus.FAILED
    subject, body = render(message.template, message.payload)
    status, error = OutboxStatus.SENT, None
    try:
        channel_for(message.channel).send(Outbound(target=message.target, subject=subject, body=body))
    except TransientSendError as exc:
        status, error = OutboxStatus.PENDING, f"transient: {exc}"
    except PermanentSendError as exc:
        status, error = OutboxStatus.FAILED, f"permanent: {exc}"
    attempts = message.attempts + 1
    backoff = min(timedelta(seconds=30 * 2 ** (attempts - 1)), MAX_BACKOFF)
    with transaction():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(
                status=status,
                attempts=attempts,
                last_error=error,
                sent_at=now if status is OutboxStatus.SENT else None,
                next_attempt_at=now + backoff,
            )
        )
    if error:
        log.warning("outbox_delivery_failed", message_id=message_id, attempts=attempts, error=error)
    return status
