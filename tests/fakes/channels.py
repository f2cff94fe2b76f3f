"""Recording outbound channels: tests read what would have been sent."""

from __future__ import annotations

import re

from flask import Flask

from groupbuy.notifications.channels.base import Outbound, PermanentSendError, TransientSendError
from groupbuy.notifications.enums import Channel


class RecordingChannel:
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


def install_recording_channels(app: Flask) -> RecordingChannel:
    """One recorder for SMS and e-mail on this app (removed after the test)."""
    recorder = RecordingChannel()
    app.extensions["OUTBOUND_CHANNELS"] = {Channel.SMS: recorder, Channel.EMAIL: recorder}
    return recorder


__all__ = ["PermanentSendError", "RecordingChannel", "TransientSendError", "install_recording_channels"]
