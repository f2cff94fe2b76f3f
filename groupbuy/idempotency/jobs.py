"""Scheduled idempotency work: forget keys past their retention."""

from __future__ import annotations

from datetime import datetime

from groupbuy.idempotency import service
from groupbuy.settings import settings


def purge_idempotency_keys(now: datetime) -> dict[str, int]:
    """Keys kept longer than KEEP_FOR (48 h) are deleted; a request sent again after that is a new request."""
    return {"keys_purged": service.purge_expired_keys(now=now, limit=settings().job_batch_size)}
