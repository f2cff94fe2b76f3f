"""Recording message senders: tests read what would have been sent."""

from __future__ import annotations

import re

from flask import Flask

from groupbuy.notifications.enums import Transport
from groupbuy.notifications.senders.base import SENDERS, Outbound, PermanentSendError, TransientSendError
from tests.conftest import swap


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Outbound] = []
        self.fail_next: list[Exception] = []

    def send(self, message: Outbound) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.sent.append(message)

    def last_code(self, target: str) -> str:
        """The 6-digit code in the latest message to ``target``."""
        for message in reversed(self.sent):
            if message.target == target:
                match = re.search(r"(?<!\d)(\d{6})(?!\d)", message.body)
                if match:
                    return match.group(1)
        raise AssertionError(f"no code sent to {target}")


def install_recording_senders(app: Flask) -> RecordingSender:
    """One recorder for SMS and e-mail in this app's registry (the console senders come back after the test)."""
    recorder = RecordingSender()
    swap(app, SENDERS, recorder, Transport.SMS.value)
    swap(app, SENDERS, recorder, Transport.EMAIL.value)
    return recorder


__all__ = ["PermanentSendError", "RecordingSender", "TransientSendError", "install_recording_senders"]
