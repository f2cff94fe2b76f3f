"""Users and roles: creation, profile, role grants, suspension."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update

from groupbuy.accounts.enums import Role, UserStatus, rank_of
from groupbuy.accounts.models import AuthToken, User, UserRole
from groupbuy.accounts.passwords import hash_password, password_problems
from groupbuy.audit.service import record_action
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Forbidden, Invalid, NotFound
from groupbuy.settings import settings


def new_user(
    *,
    phone: str | None,
    email: str | None,
    nickname: str,
    roles: Iterable[Role],
    now: datetime,
    password_hash: str | None = None,
) -> User:
    """Add a user with its roles to the session (the caller's transaction commits it)."""
    user = User(
        phone=phone,
        email=email,
        nickname=nickname,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
        status=UserStatus.ACTIVE,
        login_failures=0,
    )
    user.roles = [UserRole(role=role, granted_at=now) for role in {Role.SHOPPER, *roles}]
    db.session.add(user)
    return user


def create_user(
    *, phone: str | None, email: str | None, password: str, roles: Iterable[Role], nickname: str, now: datetime
) -> User:
    """Operators create staff and test accounts; the password policy still applies."""
    problems = password_problems(password)
    if problems:
        raise Invalid("weak_password", errors={"password": problems})
    if not phone and not email:
        raise Invalid(errors={"phone": ["give a phone or an e-mail"]})
    with transaction():
        taken = select(User.id).where((User.phone == phone) if phone else (User.email == email))
        if db.session.scalar(taken) is not None:
            raise Conflict("phone_taken" if phone else "email_taken")
        profile = settings().password_hash_profile
        return new_user(
            phone=phone,
            email=email,
            nickname=nickname,
            roles=roles,
            now=now,
            password_hash=hash_password(password, profile=profile),
        )


def get_user_if_any(*, user_id: int) -> User | None:
    """The user with this id, or None."""
    return db.session.get(User, user_id)


def get_user(*, user_id: int) -> User:
    user = get_user_if_any(user_id=user_id)
    if user is None:
        raise NotFound()
    return user


def update_profile(*, user: User, nickname: str | None, avatar_url: str | None, now: datetime) -> User:
    """A user edits their own display fields; nothing else is client-settable."""
    with transaction():
        if nickname is not None:
            user.nickname = nickname
        if avatar_url is not None:
            user.avatar_url = avatar_url
        user.updated_at = now
        db.session.add(user)
    return user


def grant_role(*, user_id: int, role: Role, now: datetime) -> None:
    """Give a role once (approving a leader, hiring CS)."""
    with transaction():
        if db.session.get(UserRole, (user_id, role)) is None:
            db.session.add(UserRole(user_id=user_id, role=role, granted_at=now))


def _check_outranks(*, actor_id: int, target: User) -> None:
    """Staff act only on lower ranks, never on themselves (CS cannot suspend CS, an admin, or itself)."""
    actor_roles = db.session.scalars(select(UserRole.role).where(UserRole.user_id == actor_id))
    if actor_id == target.id or rank_of(actor_roles) <= rank_of(target.role_names):
        raise Forbidden("outranked")


def _set_status(*, user_id: int, actor_id: int, status: UserStatus, reason: str, now: datetime) -> User:
    with transaction():
        user = get_user(user_id=user_id)
        _check_outranks(actor_id=actor_id, target=user)
        before = user.status
        changed = db.session.execute(
            update(User).where(User.id == user_id, User.status != status).values(status=status, updated_at=now)
        )
        if changed.rowcount:  # type: ignore[attr-defined]
            record_action(
                actor_id=actor_id,
                action=f"user.{status.value}",
                object_type="user",
                object_id=user_id,
                before={"status": before.value},
                after={"status": status.value},
                reason=reason,
                now=now,
            )
            if status is UserStatus.SUSPENDED:
                db.session.execute(
                    update(AuthToken)
                    .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
        db.session.refresh(user)
        return user


def suspend_user(*, user_id: int, actor_id: int, reason: str, now: datetime) -> User:
    """CS suspends an abusive account of a lower rank: tokens die on the next request (revoked for good); audited."""
    return _set_status(user_id=user_id, actor_id=actor_id, status=UserStatus.SUSPENDED, reason=reason, now=now)


def reinstate_user(*, user_id: int, actor_id: int, reason: str, now: datetime) -> User:
    """CS lifts a suspension of a lower rank (revoked tokens stay revoked: the user logs in again); audited."""
    return _set_status(user_id=user_id, actor_id=actor_id, status=UserStatus.ACTIVE, reason=reason, now=now)
