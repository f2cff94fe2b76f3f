"""Sign-in credentials past any use are deleted by the `purge_spent_credentials` job.

Tokens: a token expired or revoked can never authenticate again; it is kept TOKEN_RETENTION longer (so the
export still shows recent sign-ins) and then deleted. Verification codes: past their expiry a code only counts
towards the daily caps, which look back CODE_CAP_WINDOW; older ones are deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_

from groupbuy.accounts.models import AuthToken, VerificationCode
from groupbuy.db import delete_in_batches

TOKEN_RETENTION = timedelta(days=30)
CODE_CAP_WINDOW = timedelta(days=1)  # codes.request_verification_code counts the codes of the last day


def purge_spent_tokens(*, now: datetime, limit: int) -> int:
    """Delete tokens expired or revoked more than TOKEN_RETENTION ago, ``limit`` per transaction."""
    before = now - TOKEN_RETENTION
    return delete_in_batches(AuthToken, or_(AuthToken.expires_at < before, AuthToken.revoked_at < before), limit=limit)


def purge_old_codes(*, now: datetime, limit: int) -> int:
    """Delete expired codes older than the daily caps' window, ``limit`` per transaction."""
    return delete_in_batches(
        VerificationCode,
        VerificationCode.expires_at < now,
        VerificationCode.created_at < now - CODE_CAP_WINDOW,
        limit=limit,
    )
