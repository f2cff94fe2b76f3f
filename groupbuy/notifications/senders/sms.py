"""SMS through an HTTP gateway (the usual shape of Chinese SMS providers' relay services)."""

from __future__ import annotations

import requests

from groupbuy.notifications.senders.base import Outbound, PermanentSendError, TransientSendError


class WebhookSmsSender:
    """POSTs {phone, text} as JSON; 4xx is permanent, timeouts and 5xx are transient."""

    def __init__(self, *, url: str, timeout: float) -> None:
        self.url, self.timeout = url, timeout

    def send(self, message: Outbound) -> None:
        try:
            response = requests.post(
                self.url, json={"phone": message.target, "text": message.body}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise TransientSendError(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise TransientSendError(f"gateway answered {response.status_code}")
        if response.status_code >= 400:
            raise PermanentSendError(f"gateway refused: {response.status_code}")
