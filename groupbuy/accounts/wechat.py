"""Mini-app login: exchange a wx.login code for an openid through WeChat's jscode2session."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

import requests
import structlog

from groupbuy.registry import Slot

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    session_key: str
    unionid: str | None = None


class InvalidWeChatCode(Exception):
    """The code is wrong, used or expired (errcode 40029/40163/40226...)."""


class WeChatUnavailable(Exception):
    """WeChat is busy, rate limiting us, or did not answer in time."""


class WeChatLoginClient(Protocol):
    def code2session(self, code: str) -> WeChatSession: ...


# The one jscode2session client, chosen at start by GROUPBUY_WECHAT_LOGIN_CLIENT (groupbuy/implementations.py).
WECHAT_LOGIN: Slot[WeChatLoginClient] = Slot("wechat_login")


class HttpWeChatLoginClient:
    """The real client: GET {base}/sns/jscode2session with our app id and secret."""

    BUSY = frozenset({-1, 45011})  # system busy, API minute-quota exceeded

    def __init__(self, *, appid: str, secret: str, api_base: str, timeout: float) -> None:
        self.appid, self.secret, self.api_base, self.timeout = appid, secret, api_base.rstrip("/"), timeout

    def code2session(self, code: str) -> WeChatSession:
        params = {"appid": self.appid, "secret": self.secret, "js_code": code, "grant_type": "authorization_code"}
        for attempt in range(2):  # one retry, only for errcode -1 (WeChat's advice)
            try:
                response = requests.get(f"{self.api_base}/sns/jscode2session", params=params, timeout=self.timeout)
                response.raise_for_status()
                data = response.json()
            except (requests.RequestException, ValueError) as exc:
                log.warning("wechat_code2session_failed", error_class=type(exc).__name__)
                raise WeChatUnavailable from exc
            errcode = int(data.get("errcode") or 0)
            if errcode == 0 and data.get("openid") and data.get("session_key"):
                return WeChatSession(
                    openid=data["openid"], session_key=data["session_key"], unionid=data.get("unionid")
                )
            log.info("wechat_code2session_error", errcode=errcode, attempt=attempt)
            if errcode == -1 and attempt == 0:
                continue
            if errcode in self.BUSY:
                raise WeChatUnavailable
            raise InvalidWeChatCode
        raise WeChatUnavailable  # pragma: no cover - loop always returns or raises


class FakeWeChatLoginClient:
    """Development and tests: `dev-<name>` logs in as openid `dev-<name>`; `dev-wechat-down` is 503."""

    def code2session(self, code: str) -> WeChatSession:
        if code == "dev-wechat-down":
            raise WeChatUnavailable
        if not code.startswith("dev-") or len(code) <= 4 or len(code) > 64:
            raise InvalidWeChatCode
        return WeChatSession(openid=code, session_key=secrets.token_urlsafe(16))
