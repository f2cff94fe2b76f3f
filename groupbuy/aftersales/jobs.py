"""After-sale scheduled work: requests the leader did not answer in time go to customer service."""

from __future__ import annotations

from datetime import datetime

from groupbuy.aftersales import service
from groupbuy.settings import settings


def escalate_unanswered_after_sales(now: datetime) -> dict[str, int]:
    """Pending requests past answer_due_at → escalated with a dispute in CS's queue (safe twice, late, anywhere)."""
    total = 0
    while True:
        done = service.escalate_unanswered(now=now, limit=settings().job_batch_size)
        total += done
        if done < settings().job_batch_size:
            return {"escalated": total}
