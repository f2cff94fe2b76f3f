"""Scheduled notification work: deliver the outbox (and keep the WeChat access_token fresh, here only)."""

from __future__ import annotations

from datetime import datetime

import structlog

from groupbuy.notifications import service
from groupbuy.notifications.senders.miniapp import WeChatTokenError
from groupbuy.settings import settings

log = structlog.get_logger(__name__)


def deliver_notifications(now: datetime) -> dict[str, int]:
    """Send every due outbox message once, transient failures backing off; refresh the WeChat token first."""
    counts = {"token_refreshed": 0, "sent": 0, "retrying": 0, "failed": 0}
    if settings().miniapp_channel == "wechat":
        try:
            counts["token_refreshed"] = int(service.refresh_wechat_token(now=now))
        except WeChatTokenError as exc:  # mini-app sends wait for the next run; other channels go on
            log.warning("wechat_token_refresh_failed", error=str(exc))
    limit = settings().outbox_batch_size
    while True:
        batch = service.deliver_due_messages(now=now, limit=limit)
        counts["sent"] += batch.sent
        counts["retrying"] += batch.retrying
        counts["failed"] += batch.failed
        if batch.sent + batch.retrying + batch.failed < limit:
            return counts
