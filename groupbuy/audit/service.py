"""Write audit entries inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from groupbuy.audit.models import AuditEntry
from groupbuy.db import db, transaction


def record_action(
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Every privileged change leaves one entry, committed with the change itself."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
        at=now,
    )
    with transaction():
        db.session.add(entry)
    return entry
