"""Suspending and reinstating accounts from customer service: the accounts' own rules (ranks, sessions, audit)."""

from __future__ import annotations

from datetime import datetime

from groupbuy.accounts.models import User
from groupbuy.accounts.service import reinstate_user, suspend_user


def suspend_account(*, user_id: int, actor_id: int, reason: str, now: datetime) -> User:
    """The account can no longer log in and its sessions die at once; CS cannot act on its own rank or above
    (403 outranked); one audit entry with the status before and after."""
    return suspend_user(user_id=user_id, actor_id=actor_id, reason=reason, now=now)


def reinstate_account(*, user_id: int, actor_id: int, reason: str, now: datetime) -> User:
    """Lift a suspension (the user logs in again; old sessions stay dead); audited like the suspension."""
    return reinstate_user(user_id=user_id, actor_id=actor_id, reason=reason, now=now)
