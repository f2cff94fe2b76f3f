"""The audit trail of any object, newest first: read only (nothing changes or deletes an audit entry)."""

from __future__ import annotations

from sqlalchemy import select

from groupbuy.audit.models import AuditEntry
from groupbuy.common.pagination import Page, paginate


def audit_trail(*, object_type: str | None, object_id: int | None, page: int, page_size: int) -> Page[AuditEntry]:
    """Entries about one object (or one kind of object, or all), newest first."""
    query = select(AuditEntry)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    return paginate(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), page=page, page_size=page_size)
