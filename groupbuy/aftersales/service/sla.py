"""Customer service's answer times: working hours (seed 000: "within 48 working hours") and each dispute's terms.

Working hours are every hour of Monday to Friday in Asia/Shanghai; Saturdays and Sundays do not count (public
holidays are not known to the system yet and count as working days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from groupbuy.membership.service import benefits_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_working_hours(start: datetime, hours: int) -> datetime:
    """The moment ``hours`` working hours after ``start`` (a start at a weekend counts from Monday 00:00)."""
    local = start.astimezone(SHANGHAI)
    left = timedelta(hours=hours)
    while True:
        if local.weekday() >= 5:  # Saturday or Sunday: jump to Monday 00:00
            local = datetime.combine(
                local.date() + timedelta(days=7 - local.weekday()), datetime.min.time(), tzinfo=SHANGHAI
            )
            continue
        day_end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
        if local + left <= day_end:
            return (local + left).astimezone(UTC)
        left -= day_end - local
        local = day_end


@dataclass(frozen=True)
class DisputeTerms:
    priority: bool  # sorts first in CS's queue
    sla_working_hours: int


def dispute_terms(*, user_id: int, now: datetime) -> DisputeTerms:
    """The service a shopper's dispute gets, from their membership tier: priority service (sorts first in CS's
    queue) and the tier's answer time in working hours (membership_tiers.dispute_sla_hours)."""
    benefits = benefits_of(user_id, now=now)
    return DisputeTerms(priority=benefits.priority_service, sla_working_hours=benefits.dispute_sla_hours)
