"""Scheduled leader work: seniority credit earned by time alone."""

from __future__ import annotations

from datetime import datetime

from groupbuy.leaders import service


def refresh_leader_credit(now: datetime) -> dict[str, int]:
    """Each leader past an anniversary gets its +20 seniority event once (a missed run catches up)."""
    return {"credit_events": service.refresh_all_credit(now=now)}
