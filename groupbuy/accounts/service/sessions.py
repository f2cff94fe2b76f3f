"""Registration, login (password, code, WeChat), lockout, tokens, logout, reset, unlock."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.accounts.enums import CodePurpose, Role, UserStatus
from groupbuy.accounts.models import AuthToken, User, UserRole, WeChatIdentity
from groupbuy.accounts.passwords import hash_password, password_problems, verify_password
from groupbuy.accounts.service.codes import consume_code, find_account
from groupbuy.accounts.service.users import new_user
from groupbuy.accounts.wechat import WECHAT_LOGIN, InvalidWeChatCode, WeChatLoginClient, WeChatUnavailable
from groupbuy.db import alone, connection, db, transaction
from groupbuy.errors import Conflict, Forbidden, Invalid, Locked, Unauthorized, Unavailable
from groupbuy.prebuilt import run_prebuilt
from groupbuy.registry import registry
from groupbuy.settings import settings


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User
    is_new: bool = False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, now: datetime, *, is_new: bool = False) -> IssuedToken:
    """A fresh opaque token (256 random bits); only its digest is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=settings().token_ttl_hours)
    with transaction():
        db.session.add(
            AuthToken(user_id=user.id, token_hash=token_digest(token), created_at=now, expires_at=expires_at)
        )
    return IssuedToken(token=token, expires_at=expires_at, user=user, is_new=is_new)


def _check_password_policy(password: str, field: str = "password") -> None:
    problems = password_problems(password)
    if problems:
        raise Invalid("weak_password", errors={field: problems})


def register_user(
    *, phone: str | None, email: str | None, password: str, code: str, nickname: str | None, now: datetime
) -> IssuedToken:
    """A phone or e-mail proven by a register code becomes a shopper account."""
    target = phone or email
    if not target or (phone and email):
        raise Invalid(errors={"phone": ["give a phone or an e-mail"]})
    _check_password_policy(password)
    if find_account(target) is not None:
        raise Conflict("phone_taken" if phone else "email_taken")
    profile = settings().password_hash_profile
    with transaction():
        consume_code(target=target, purpose=CodePurpose.REGISTER, code=code, now=now)
        user = new_user(
            phone=phone,
            email=email,
            nickname=nickname or "",
            roles=[Role.SHOPPER],
            now=now,
            password_hash=hash_password(password, profile=profile),
        )
        try:
            db.session.flush()  # surface a concurrent registration of the same target as 409
        except IntegrityError as exc:
            raise Conflict("phone_taken" if phone else "email_taken") from exc
        return issue_token(user, now, is_new=True)


def _claim_attempt(user_id: int, now: datetime) -> int | None:
    """Count one password attempt before it is evaluated, in one conditional UPDATE; None when refused.

    The counter is the lock: an attempt is admitted only while the account is not locked and fewer than
    LOGIN_MAX_FAILURES attempts are counted in the window, so however many requests race, at most that many
    passwords are ever checked per window (PostgreSQL re-evaluates the WHERE on the row a racer committed;
    SQLite writers are serialised). A window that is over, or a lock that has expired, starts a new count.
    """
    config = settings()
    window_start = now - timedelta(minutes=config.login_failure_window_minutes)
    not_locked = User.locked_until.is_(None) | (User.locked_until <= now)
    restart = (
        User.login_failure_window_start.is_(None)
        | (User.login_failure_window_start <= window_start)
        | (User.locked_until <= now)
    )
    return db.session.execute(
        update(User)
        .where(User.id == user_id, not_locked, restart | (User.login_failures < config.login_max_failures))
        .values(
            login_failures=case((restart, 1), else_=User.login_failures + 1),
            login_failure_window_start=case((restart, now), else_=User.login_failure_window_start),
            locked_until=None,
        )
        .returning(User.login_failures)
    ).scalar_one_or_none()


def _lock(user_id: int, now: datetime) -> datetime:
    """The last admitted attempt failed: lock until now + LOGIN_LOCK_MINUTES (the count stays as it is)."""
    locked_until = now + timedelta(minutes=settings().login_lock_minutes)
    db.session.execute(update(User).where(User.id == user_id).values(locked_until=locked_until))
    return locked_until


def _locked(until: datetime | None, now: datetime) -> Locked:
    """423 with Retry-After; no lock time yet: the last admitted attempts are still being checked."""
    if until is None or until <= now:
        seconds = settings().login_lock_minutes * 60
    else:
        seconds = int((until - now).total_seconds()) + 1
    return Locked("account_locked", headers={"Retry-After": str(seconds)})


def _check_can_login(user: User, now: datetime) -> None:
    if user.locked_until is not None and user.locked_until > now:
        raise _locked(user.locked_until, now)
    if user.status is not UserStatus.ACTIVE:
        raise Forbidden("account_suspended")


def login_with_password(*, login: str, password: str, now: datetime) -> IssuedToken:
    """Right password and not locked: a token. Five failures in the window lock the account.

    Every attempt is counted before its password is checked (``_claim_attempt``); a wrong password answers
    the same 401 whatever the account's state: only the right password learns that it is suspended.
    """
    profile = settings().password_hash_profile
    with transaction():
        user = find_account(login)
        attempt = None if user is None else _claim_attempt(user.id, now)
    if user is None:
        verify_password(None, password, profile=profile)  # same cost as a real check
        raise Unauthorized("invalid_credentials")
    if attempt is None:
        raise _locked(user.locked_until, now)
    if not verify_password(user.password_hash, password, profile=profile):
        if attempt < settings().login_max_failures:
            raise Unauthorized("invalid_credentials")
        with transaction():
            until = _lock(user.id, now)
        raise _locked(until, now)
    with transaction():  # the right password: the count starts again (committed even when suspended)
        db.session.execute(
            update(User).where(User.id == user.id).values(login_failures=0, login_failure_window_start=None)
        )
        if user.status is not UserStatus.ACTIVE:
            raise Forbidden("account_suspended", persist=True)
        return issue_token(user, now)


def login_with_code(*, login: str, code: str, now: datetime) -> IssuedToken:
    """A login code proves the phone or e-mail (the lock still applies); only a right code learns of a suspension."""
    with transaction():
        user = find_account(login)
        if user is None:
            raise Unauthorized("invalid_credentials")
        if user.locked_until is not None and user.locked_until > now:
            raise _locked(user.locked_until, now)
        consume_code(target=login, purpose=CodePurpose.LOGIN, code=code, now=now)
        if user.status is not UserStatus.ACTIVE:
            raise Forbidden("account_suspended")
        return issue_token(user, now)


def wechat_client() -> WeChatLoginClient:
    """The installed jscode2session client (the fake in development and tests)."""
    return registry().get(WECHAT_LOGIN)


def login_with_wechat(*, code: str, now: datetime) -> IssuedToken:
    """Exchange the code server-side; the openid WeChat returns is the identity (never the client's)."""
    try:
        session = wechat_client().code2session(code)
    except InvalidWeChatCode as exc:
        raise Unauthorized("invalid_wechat_code") from exc
    except WeChatUnavailable as exc:
        raise Unavailable("wechat_unavailable", headers={"Retry-After": "2"}) from exc
    for attempt in range(2):  # a concurrent first login of the same openid wins once; we re-read
        try:
            with transaction():
                identity = db.session.scalar(select(WeChatIdentity).where(WeChatIdentity.openid == session.openid))
                is_new = identity is None
                if identity is None:
                    user = new_user(phone=None, email=None, nickname="微信用户", roles=[Role.SHOPPER], now=now)
                    db.session.flush()  # the user id is needed for the identity row
                    identity = WeChatIdentity(
                        user_id=user.id,
                        openid=session.openid,
                        unionid=session.unionid,
                        session_key=session.session_key,
                        updated_at=now,
                    )
                    db.session.add(identity)
                    db.session.flush()  # raise the unique violation here, inside the retry loop
                else:
                    identity.session_key, identity.updated_at = session.session_key, now
                    user = db.session.get_one(User, identity.user_id)
                    _check_can_login(user, now)
                return issue_token(user, now, is_new=is_new)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Caller:
    """Who sent a request: enough for every role check and the shopper's leader, without loading the user."""

    id: int
    role_names: frozenset[Role]
    current_leader_id: int | None


_CALLER = (
    select(User.id, User.current_leader_id, UserRole.role)
    .select_from(AuthToken)
    .join(User, User.id == AuthToken.user_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(
        AuthToken.token_hash == bindparam("token_hash"),
        AuthToken.revoked_at.is_(None),
        AuthToken.expires_at > bindparam("now"),
        User.status == UserStatus.ACTIVE,
    )
)


def identify_caller(*, token: str, now: datetime, in_unit_of_work: bool = False) -> Caller | None:
    """The active user of a live token and their roles, in one statement; None if revoked, expired or suspended.

    The statement stands alone (``db.alone``: autocommit, one round trip, no transaction opened), so a request's own
    unit of work, if it has one, begins afterwards with its first statement. ``in_unit_of_work``: the request is
    one unit of work on the database and nothing else (a coupon claim), so on PostgreSQL the read opens that unit's
    transaction on the session's connection instead: the connection the request takes anyway, where a pool
    connection of its own cost a checkout and a return (6 % of checkout's Python time, py-spy)."""
    params = {"token_hash": token_digest(token), "now": now}
    # SQLite: the unit of work begins with BEGIN IMMEDIATE (db.transaction), so the check stays outside it there
    if in_unit_of_work and db.engine.dialect.name == "postgresql":
        rows = run_prebuilt(connection(), _CALLER, params)
    else:
        with alone() as own:
            rows = run_prebuilt(own, _CALLER, params)
    if not rows:
        return None
    roles = frozenset(Role(r.role) for r in rows if r.role is not None)
    return Caller(id=rows[0].id, role_names=roles, current_leader_id=rows[0].current_leader_id)


def logout(*, token: str, now: datetime) -> None:
    """Revoke this token."""
    with transaction():
        db.session.execute(
            update(AuthToken)
            .where(AuthToken.token_hash == token_digest(token), AuthToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def revoke_all_tokens(*, user_id: int, now: datetime) -> None:
    """Revoke every live token of a user (password reset, suspension)."""
    with transaction():
        db.session.execute(
            update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None)).values(revoked_at=now)
        )


def reset_password(*, target: str, code: str, new_password: str, now: datetime) -> None:
    """A reset code sets a new password, unlocks the account and signs out every session."""
    _check_password_policy(new_password, "new_password")
    profile = settings().password_hash_profile
    with transaction():
        user = find_account(target)
        if user is None:
            raise Invalid("invalid_code", errors={"code": ["invalid or expired"]})
        consume_code(target=target, purpose=CodePurpose.RESET_PASSWORD, code=code, now=now)
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                password_hash=hash_password(new_password, profile=profile),
                locked_until=None,
                login_failures=0,
                login_failure_window_start=None,
                updated_at=now,
            )
        )
        revoke_all_tokens(user_id=user.id, now=now)


def unlock_account(*, target: str, code: str, now: datetime) -> None:
    """An unlock code lifts a login lock at once."""
    with transaction():
        user = find_account(target)
        if user is None:
            raise Invalid("invalid_code", errors={"code": ["invalid or expired"]})
        consume_code(target=target, purpose=CodePurpose.UNLOCK, code=code, now=now)
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(locked_until=None, login_failures=0, login_failure_window_start=None, updated_at=now)
        )
