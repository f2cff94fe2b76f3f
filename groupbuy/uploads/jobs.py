"""Scheduled upload work: forget images nobody attached."""

from __future__ import annotations

from datetime import datetime, timedelta

from groupbuy.settings import settings
from groupbuy.uploads import service


def purge_orphan_uploads(now: datetime) -> dict[str, int]:
    """Uploads never attached to anything within GROUPBUY_UPLOAD_ORPHAN_HOURS are deleted with their files."""
    config = settings()
    purged = service.purge_orphan_uploads(
        now=now, older_than=timedelta(hours=config.upload_orphan_hours), limit=config.job_batch_size
    )
    return {"uploads_purged": purged}
