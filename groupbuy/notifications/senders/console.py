"""Development channel: writes the message to the server log (target masked)."""

from __future__ import annotations

import structlog

from groupbuy.common.fields import mask_target
from groupbuy.notifications.senders.base import Outbound

# Its own logger name: this is a delivery, not a log line about a request.
log = structlog.get_logger("groupbuy.console_channel")


class ConsoleSender:
    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, message: Outbound) -> None:
        log.info(
            "console_delivery",
            channel=self.name,
            to=mask_target(message.target),
            subject=message.subject,
            body=message.body,
        )
