"""Leaders: the active-leader gate for other domains, public views, suspension, "my leader"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update

from groupbuy.accounts.models import User
from groupbuy.audit.service import record_action
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Forbidden, Invalid, NotFound
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service.ledger import CreditReport, credit_report


@dataclass(frozen=True)
class LeaderDetail:
    leader: Leader
    credit: CreditReport


def get_active_leader(*, user_id: int) -> Leader:
    """The caller's leader record; 403 if they are not a leader, 403 leader_suspended while suspended."""
    leader = db.session.scalar(select(Leader).where(Leader.user_id == user_id))
    if leader is None:
        raise Forbidden()
    if leader.status is not LeaderStatus.ACTIVE:
        raise Forbidden("leader_suspended")
    return leader


def update_leader_profile(*, user_id: int, changes: Mapping[str, Any], now: datetime) -> Leader:
    """A leader sets their hours, pauses taking orders, or offers home delivery (which needs a radius)."""
    with transaction():
        leader = get_active_leader(user_id=user_id)
        radius = changes.get("delivery_radius_m", leader.delivery_radius_m)
        if changes.get("offers_delivery") and radius is None:
            raise Invalid(errors={"delivery_radius_m": ["required when offering home delivery"]})
        for field in _PROFILE_FIELDS & changes.keys():
            setattr(leader, field, changes[field])
        leader.updated_at = now
        return leader


_PROFILE_FIELDS = frozenset(
    {"opening_hours", "orders_paused", "offers_delivery", "delivery_fee_fen", "delivery_radius_m"}
)


def get_public_leader(*, leader_id: int) -> Leader:
    """Anyone may see an active leader's pickup point; a suspended or unknown one is 404."""
    leader = db.session.get(Leader, leader_id)
    if leader is None or leader.status is not LeaderStatus.ACTIVE:
        raise NotFound()
    return leader


def public_leader_detail(*, leader_id: int) -> LeaderDetail:
    """An active leader's public page with the credit breakdown behind the score."""
    leader = get_public_leader(leader_id=leader_id)
    return LeaderDetail(leader=leader, credit=credit_report(leader_id=leader.id))


def public_credit(*, leader_id: int) -> CreditReport:
    """An active leader's credit score and the ledger lines it sums."""
    return credit_report(leader_id=get_public_leader(leader_id=leader_id).id)


def get_leader(*, leader_id: int) -> Leader:
    """Any leader by id, whatever its status (staff views, other domains); 404 if unknown."""
    leader = db.session.get(Leader, leader_id)
    if leader is None:
        raise NotFound()
    return leader


def _set_status(
    *, leader_id: int, actor_id: int, expected: LeaderStatus, status: LeaderStatus, reason: str, now: datetime
) -> Leader:
    """expected -> status as one conditional UPDATE; 404 if missing, 409 if not in the expected state."""
    with transaction():
        changed = db.session.execute(
            update(Leader)
            .where(Leader.id == leader_id, Leader.status == expected)
            .values(status=status, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        leader = db.session.get(Leader, leader_id, populate_existing=True)
        if leader is None:
            raise NotFound()
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise Conflict("leader_not_active" if status is LeaderStatus.SUSPENDED else "leader_not_suspended")
        record_action(
            actor_id=actor_id,
            action="leader.suspend" if status is LeaderStatus.SUSPENDED else "leader.reinstate",
            object_type="leader",
            object_id=leader_id,
            before={"status": expected.value},
            after={"status": status.value},
            reason=reason,
            now=now,
        )
    return leader


def suspend_leader(*, leader_id: int, actor_id: int, reason: str, now: datetime) -> Leader:
    """CS/admin suspend a leader: hidden from search, not choosable, leader endpoints refuse on the next request."""
    return _set_status(
        leader_id=leader_id,
        actor_id=actor_id,
        expected=LeaderStatus.ACTIVE,
        status=LeaderStatus.SUSPENDED,
        reason=reason,
        now=now,
    )


def reinstate_leader(*, leader_id: int, actor_id: int, reason: str, now: datetime) -> Leader:
    """CS/admin lift a leader's suspension; audited."""
    return _set_status(
        leader_id=leader_id,
        actor_id=actor_id,
        expected=LeaderStatus.SUSPENDED,
        status=LeaderStatus.ACTIVE,
        reason=reason,
        now=now,
    )


def choose_my_leader(*, user_id: int, leader_id: int, now: datetime) -> Leader:
    """A shopper picks the leader they shop with; only an active leader can be chosen (else 404)."""
    with transaction():
        is_active = exists().where(Leader.id == leader_id, Leader.status == LeaderStatus.ACTIVE)
        changed = db.session.execute(
            update(User)
            .where(User.id == user_id, is_active)
            .values(current_leader_id=leader_id, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise NotFound()
        user = db.session.get(User, user_id)
        if user is not None:
            db.session.expire(user, ["current_leader_id", "updated_at"])  # changed by SQL, not through the object
        return get_public_leader(leader_id=leader_id)


def my_leader(*, user_id: int) -> Leader:
    """The leader the shopper shops with, while that leader is active; else 404."""
    leader_id = db.session.scalar(select(User.current_leader_id).where(User.id == user_id))
    if leader_id is None:
        raise NotFound()
    return get_public_leader(leader_id=leader_id)
