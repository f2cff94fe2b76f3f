"""Verification codes: 6 random digits, HMAC-stored, 10 minutes, 5 tries, single use, resend ≥ 60 s."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from groupbuy.accounts.enums import CodeChannel, CodePurpose
from groupbuy.accounts.models import User, VerificationCode
from groupbuy.db import db, transaction
from groupbuy.errors import Invalid, TooManyRequests
from groupbuy.notifications.enums import Transport
from groupbuy.notifications.service import deliver_message, enqueue_message
from groupbuy.settings import settings


def _code_hash(*, target: str, purpose: CodePurpose, code: str) -> str:
    key = settings().secret_key.encode()
    return hmac.new(key, f"{purpose}:{target}:{code}".encode(), hashlib.sha256).hexdigest()


def find_account(target: str) -> User | None:
    """The user a phone or e-mail belongs to."""
    column = User.email if "@" in target else User.phone
    return db.session.scalar(select(User).where(column == target))


def request_verification_code(
    *, channel: CodeChannel, target: str, purpose: CodePurpose, ip: str, now: datetime
) -> int:
    """Send a fresh code unless asked within the resend interval or over a daily cap; returns its TTL in s."""
    config = settings()
    ttl = timedelta(minutes=config.code_ttl_minutes)
    message_id = None
    with transaction():
        latest = db.session.scalar(
            select(func.max(VerificationCode.created_at)).where(
                VerificationCode.target == target, VerificationCode.purpose == purpose
            )
        )
        resend = timedelta(seconds=config.code_resend_seconds)
        if latest is not None and latest > now - resend:
            wait = int((latest + resend - now).total_seconds()) + 1
            raise TooManyRequests("code_resend_too_soon", seconds=wait, headers={"Retry-After": str(wait)})
        day_ago = now - timedelta(days=1)
        for column, value, cap in (
            (VerificationCode.target, target, config.code_daily_cap_per_target),
            (VerificationCode.ip, ip, config.code_daily_cap_per_ip),
        ):
            sent = db.session.scalar(select(func.count()).where(column == value, VerificationCode.created_at > day_ago))
            if (sent or 0) >= cap:
                raise TooManyRequests("code_daily_cap", headers={"Retry-After": "3600"})
        code = f"{secrets.randbelow(10**6):06d}"
        db.session.add(
            VerificationCode(
                channel=channel,
                target=target,
                purpose=purpose,
                ip=ip,
                code_hash=_code_hash(target=target, purpose=purpose, code=code),
                created_at=now,
                expires_at=now + ttl,
            )
        )
        # Registration codes go to anyone; the others only to existing accounts (no enumeration).
        if purpose is CodePurpose.REGISTER or find_account(target) is not None:
            message = enqueue_message(
                transport=Transport(channel.value),
                target=target,
                template="verification_code",
                payload={"code": code, "minutes": config.code_ttl_minutes, "purpose": purpose.value},
                now=now,
            )
            db.session.flush()  # assign the outbox id so we can deliver right after commit
            message_id = message.id
    if message_id is not None:
        deliver_message(message_id=message_id, now=now)
    return int(ttl.total_seconds())


def consume_code(*, target: str, purpose: CodePurpose, code: str, now: datetime) -> None:
    """Accept the latest live code once; a wrong guess is counted even though the request fails."""
    max_attempts = settings().code_max_attempts
    with transaction():
        row = db.session.scalar(
            select(VerificationCode)
            .where(VerificationCode.target == target, VerificationCode.purpose == purpose)
            .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
            .limit(1)
        )
        if row is None or row.consumed_at is not None or row.expires_at <= now:
            raise Invalid("invalid_code", errors={"code": ["invalid or expired"]})
        if row.attempts >= max_attempts:
            raise Invalid("code_attempts_exceeded", errors={"code": ["too many wrong tries"]})
        if not hmac.compare_digest(row.code_hash, _code_hash(target=target, purpose=purpose, code=code)):
            db.session.execute(
                update(VerificationCode)
                .where(VerificationCode.id == row.id, VerificationCode.attempts < max_attempts)
                .values(attempts=VerificationCode.attempts + 1)
            )
            raise Invalid("invalid_code", errors={"code": ["invalid or expired"]}, persist=True)
        used = db.session.execute(
            update(VerificationCode)
            .where(
                VerificationCode.id == row.id,
                VerificationCode.consumed_at.is_(None),
                VerificationCode.attempts < max_attempts,
            )
            .values(consumed_at=now)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]  # someone used it a moment ago
            raise Invalid("invalid_code", errors={"code": ["invalid or expired"]})
