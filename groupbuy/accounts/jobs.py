"""Scheduled account work: delete sign-in credentials nothing can use any more."""

from __future__ import annotations

from datetime import datetime

from groupbuy.accounts.service import retention
from groupbuy.settings import settings


def purge_spent_credentials(now: datetime) -> dict[str, int]:
    """Tokens expired or revoked 30 days ago and verification codes older than a day are deleted."""
    limit = settings().job_batch_size
    return {
        "tokens_purged": retention.purge_spent_tokens(now=now, limit=limit),
        "codes_purged": retention.purge_old_codes(now=now, limit=limit),
    }
