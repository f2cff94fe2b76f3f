"""What every outbound channel offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outbound:
    target: str
    subject: str
    body: str


class TransientSendError(Exception):
    """Try again later (timeout, 5xx, provider busy)."""


class PermanentSendError(Exception):
    """Never retry (bad target, no quota, rejected template)."""


class OutboundChannel(Protocol):
    def send(self, message: Outbound) -> None: ...
