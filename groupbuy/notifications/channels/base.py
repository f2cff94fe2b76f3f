"""What every outbound channel offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


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


class OutboundChannel(Protocol):
    def send(self, message: Outbound) -> None: ...
