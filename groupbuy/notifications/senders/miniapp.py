"""WeChat mini-app subscribe messages (subscribeMessage.send) and the stable access_token they need.

Each user consent allows one message; 43101 (refused / no quota) and the other errors about the
target, template or data are permanent. The access_token is fetched only by the scheduler process
(``groupbuy.notifications.service.wechat_token``) and read from the database by the sender.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from groupbuy.notifications.senders.base import Outbound, PermanentSendError, TransientSendError

# 40003 bad openid, 40037 bad template_id, 41030 bad page, 43101 user refused or no quota, 47003 bad data.
PERMANENT_ERRCODES = frozenset({40003, 40037, 41030, 43101, 47003})
# The token is invalid or expired: refresh it (the scheduler does) and try again later.
STALE_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Value length limits per WeChat data type (longer values fail the whole send with 47003).
FIELD_LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32, "phrase": 5, "name": 10}
DEFAULT_DATA = {"thing1": "{title}", "thing2": "{body}"}


class StaleTokenError(TransientSendError):
    """WeChat refused the access_token; the cached one must be refreshed before the next attempt."""


class WeChatTokenError(Exception):
    """The token endpoint failed; the old token (if any) stays until it expires."""


@dataclass(frozen=True)
class FetchedToken:
    access_token: str
    expires_in: int


def fetch_stable_token(*, api_base: str, appid: str, secret: str, force: bool, timeout: float) -> FetchedToken:
    """POST /cgi-bin/stable_token: unforced, the same token comes back while it is valid, so a repeat does no harm."""
    try:
        response = requests.post(
            f"{api_base.rstrip('/')}/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force},
            timeout=timeout,
        )
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise WeChatTokenError(type(exc).__name__) from exc
    if not isinstance(data, dict) or not data.get("access_token"):
        errcode = data.get("errcode") if isinstance(data, dict) else None
        raise WeChatTokenError(f"errcode {errcode}")
    return FetchedToken(access_token=str(data["access_token"]), expires_in=int(data.get("expires_in") or 7200))


def _limit(key: str, value: str) -> str:
    kind = key.rstrip("0123456789")
    limit = FIELD_LIMITS.get(kind)
    return value[:limit] if limit else value


def subscribe_data(template: Mapping[str, Any], message: Outbound) -> dict[str, dict[str, str]]:
    """The template's keys (e.g. thing1) filled from the notice and truncated to WeChat's limits."""
    values = {**message.fields, "title": message.subject, "body": message.body}
    spec: Mapping[str, str] = template.get("data") or DEFAULT_DATA
    return {key: {"value": _limit(key, str(pattern).format_map(_Blank(values)))} for key, pattern in spec.items()}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


class WeChatSubscribeSender:
    """Sends one subscribe message per outbox row; template per notice kind from configuration."""

    def __init__(
        self,
        *,
        api_base: str,
        access_token: str | None = None,
        templates: Mapping[str, Any],
        miniprogram_state: str,
        timeout: float,
    ) -> None:
        self.api_base, self.access_token, self.templates = api_base.rstrip("/"), access_token, templates
        self.miniprogram_state, self.timeout = miniprogram_state, timeout

    def with_access_token(self, access_token: str | None) -> WeChatSubscribeSender:
        """A copy for one delivery run: the registry's instance carries no token (the scheduler stores it)."""
        return WeChatSubscribeSender(
            api_base=self.api_base,
            access_token=access_token,
            templates=self.templates,
            miniprogram_state=self.miniprogram_state,
            timeout=self.timeout,
        )

    def send(self, message: Outbound) -> None:
        template = self.templates.get(message.kind)
        if not template or not template.get("template_id"):
            raise PermanentSendError(f"no subscribe template configured for {message.kind}")
        if not self.access_token:
            raise TransientSendError("no access token yet (the scheduler fetches it)")
        body = {
            "touser": message.target,
            "template_id": template["template_id"],
            "page": str(template.get("page", "")).format_map(_Blank(message.fields)),
            "data": subscribe_data(template, message),
            "miniprogram_state": self.miniprogram_state,
            "lang": "zh_CN",
        }
        try:
            response = requests.post(
                f"{self.api_base}/cgi-bin/message/subscribe/send",
                params={"access_token": self.access_token},
                json=body,
                timeout=self.timeout,
            )
            data = response.json() if response.status_code < 500 else None
        except (requests.RequestException, ValueError) as exc:
            raise TransientSendError(type(exc).__name__) from exc
        if not isinstance(data, dict):
            raise TransientSendError(f"WeChat answered {response.status_code}")
        errcode = int(data.get("errcode") or 0)
        if errcode == 0:
            return
        if errcode in STALE_TOKEN_ERRCODES:
            raise StaleTokenError(f"errcode {errcode}")
        if errcode in PERMANENT_ERRCODES:
            raise PermanentSendError(f"errcode {errcode}")
        raise TransientSendError(f"errcode {errcode}")
