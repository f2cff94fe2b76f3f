"""The WeChat server access_token: refreshed by the scheduler process only, read from the database by everyone.

Fetching a token can invalidate the previous one, so web workers never fetch (research/reliability.md §2).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.db import db, transaction
from groupbuy.notifications.models import WeChatAccessToken
from groupbuy.notifications.senders.miniapp import fetch_stable_token
from groupbuy.settings import settings

# Refresh this long before expiry (WeChat keeps the old token valid for 5 minutes after a refresh).
REFRESH_MARGIN = timedelta(minutes=15)


def cached_access_token(*, now: datetime) -> str | None:
    """The stored token if it is still valid; never calls WeChat."""
    row = db.session.scalar(select(WeChatAccessToken).where(WeChatAccessToken.appid == settings().wechat_appid))
    return row.access_token if row is not None and row.expires_at > now else None


def refresh_wechat_token(*, now: datetime) -> bool:
    """Fetch and store a stable token when none is cached or it expires within 15 minutes; scheduler only."""
    config = settings()
    appid, secret = config.wechat_appid, config.wechat_secret
    if not appid or not secret:
        return False
    expires = db.session.scalar(select(WeChatAccessToken.expires_at).where(WeChatAccessToken.appid == appid))
    if expires is not None and expires - REFRESH_MARGIN > now:
        return False
    fetched = fetch_stable_token(
        api_base=config.wechat_api_base,
        appid=appid,
        secret=secret,
        force=expires is not None and expires <= now,  # refused by WeChat (or long expired): ask for a new one
        timeout=config.http_timeout_seconds,
    )
    values = {
        "access_token": fetched.access_token,
        "expires_at": now + timedelta(seconds=fetched.expires_in),
        "refreshed_at": now,
    }
    with transaction():
        stored = db.session.execute(update(WeChatAccessToken).where(WeChatAccessToken.appid == appid).values(**values))
        if stored.rowcount == 0:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            try:
                with db.session.begin_nested():  # another scheduler may store the (same) stable token first
                    db.session.add(WeChatAccessToken(appid=appid, **values))
            except IntegrityError:
                pass
    return True


def expire_wechat_token(*, now: datetime) -> None:
    """WeChat refused the cached token: mark it expired so the scheduler fetches a new one on its next run."""
    with transaction():
        db.session.execute(
            update(WeChatAccessToken)
            .where(WeChatAccessToken.appid == settings().wechat_appid, WeChatAccessToken.expires_at > now)
            .values(expires_at=now)
        )
