"""Suspending and reinstating accounts from customer service: the accounts' own rules (ranks, sessions, audit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from groupbuy.accounts.models import User
from groupbuy.accounts.service import reinstate_user, suspend_user
from groupbuy.db import db


def suspend_account(*, user_id: int, actor_id: int, reason: str, now: datetime) -> User:
    """The account can no longer log in and its sessions die at once; CS cannot act on its own rank or above
    (403 outranked); one audit entry with the status before and after."""
    return suspend_user(user_id=user_id, actor_id=actor_id, reason=reason, now=now)


def reinstate_account(*, user_id: int, actor_id: int, reason: str, now: datetime) -> User:
    """Lift a suspension (the user logs in again; old sessions stay dead); audited like the suspension."""
    return reinstate_user(user_id=user_id, actor_id=actor_id, reason=reason, now=now)


def find_accounts(*, phone: str | None = None, user_id: int | None = None) -> list[User]:
    """Accounts by normalised mobile number or id (the console's account box); at most one of each."""
    query = select(User)
    if user_id is not None:
        query = query.where(User.id == user_id)
    elif phone:
        query = query.where(User.phone == phone)
    else:
        return []
    return list(db.session.scalars(query.limit(5)))
