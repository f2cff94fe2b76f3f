"""What every message sender offers, and the registry slot the senders are installed in (one per transport)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from groupbuy.registry import Slot


@dataclass(frozen=True)
class Outbound:
    target: str
    subject: str
    body: str
    kind: str = ""  # the template / notification kind (a subscribe message picks its WeChat template by it)
    fields: Mapping[str, Any] = field(default_factory=dict)


class TransientSendError(Exception):
    """Try again later (timeout, 5xx, provider busy)."""


class PermanentSendError(Exception):
    """Never retry (bad target, no quota, rejected template)."""


class Sender(Protocol):
    def send(self, message: Outbound) -> None: ...


# Keyed by transport ("sms", "email", "miniapp"); built at start from GROUPBUY_SMS_CHANNEL, _EMAIL_CHANNEL and
# _MINIAPP_CHANNEL (groupbuy/implementations.py).
SENDERS: Slot[Sender] = Slot("message_senders")
