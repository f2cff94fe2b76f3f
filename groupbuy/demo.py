"""Demo data for `make run`: staff and shopper accounts (idempotent)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.accounts.service import create_user
from groupbuy.db import db

DEMO_PASSWORD = "Demo12345"  # noqa: S105 - published demo login, development only
DEMO_USERS = [
    ("13800000001", "管理员", [Role.ADMIN]),
    ("13800000002", "客服小美", [Role.CS]),
    ("13800000003", "邻居小王", [Role.SHOPPER]),
]


def load_demo_data(*, now: datetime, echo: Callable[[str], None]) -> Iterator[str]:
    """Create the demo accounts that do not exist yet; yield the login lines to print."""
    for phone, nickname, roles in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.phone == phone)) is None:
            create_user(phone=phone, email=None, password=DEMO_PASSWORD, roles=roles, nickname=nickname, now=now)
            echo(f"created demo user {nickname}")
    yield "Demo logins (password for all: " + DEMO_PASSWORD + "):"
    for phone, nickname, roles in DEMO_USERS:
        yield f"  {', '.join(r.value for r in roles):8} {phone}  {nickname}"
    yield '  shopper  WeChat mini-app: POST /api/v1/auth/wechat-login {"code": "dev-alice"}'
