"""Every status change of a request or a dispute: one conditional UPDATE on the expected state, one timeline row."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from groupbuy.aftersales.enums import AfterSaleStatus, DisputeStatus
from groupbuy.aftersales.models import AfterSaleEvent, AfterSaleRequest, Dispute
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound


def move_request(
    *,
    request_id: int,
    expected: Collection[AfterSaleStatus],
    to: AfterSaleStatus,
    actor: str,
    now: datetime,
    note: str | None = None,
    values: dict[str, Any] | None = None,
) -> AfterSaleStatus:
    """``expected`` → ``to`` once (409 ``after_sale_state_changed`` if moved meanwhile); returns the old state."""
    with transaction():
        current = db.session.scalar(select(AfterSaleRequest.status).where(AfterSaleRequest.id == request_id))
        if current is None:
            raise NotFound()
        if current not in expected:
            raise Conflict("after_sale_state_changed")
        moved = db.session.execute(
            update(AfterSaleRequest)
            .where(AfterSaleRequest.id == request_id, AfterSaleRequest.status == current)
            .values(status=to, updated_at=now, **(values or {}))
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]  # moved by someone else since we read it
            raise Conflict("after_sale_state_changed")
        db.session.add(
            AfterSaleEvent(
                request_id=request_id,
                from_status=current,
                to_status=to,
                actor=actor[:40],
                note=note[:500] if note else None,
                at=now,
            )
        )
        db.session.flush()
        return current


def move_dispute(
    *,
    dispute_id: int,
    expected: DisputeStatus,
    to: DisputeStatus,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> None:
    """The dispute's own state, conditionally (its request's timeline and the audit log record the decision)."""
    with transaction():
        moved = db.session.execute(
            update(Dispute)
            .where(Dispute.id == dispute_id, Dispute.status == expected)
            .values(status=to, updated_at=now, **(values or {}))
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("dispute_already_resolved")
