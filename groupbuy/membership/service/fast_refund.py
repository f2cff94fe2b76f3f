"""Fast refund (极速退款), a tier benefit: a paid order the leader has not confirmed, cancelled by its shopper within
``fast_refund_window_minutes`` of ordering and worth at most the tier's ``fast_refund_limit_fen``, is refunded at
once without review, even past the deal's cutoff (where the normal path sends the shopper to after-sale). At most
``fast_refund_monthly_cap`` a calendar month (Asia/Shanghai) per shopper; beyond it, the normal path.

Orders asks (``claim_fast_refund``) inside its cancellation's transaction and refunds through its line-level refund
entry point; the month's counter is taken by one conditional statement, so concurrent cancellations never pass
the cap, and a cancellation that fails afterwards gives its claim back with the rollback.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam

from groupbuy.db import connection, db, transaction, upsert_insert
from groupbuy.membership.models import FastRefundMonth
from groupbuy.membership.service.benefits import benefits_of
from groupbuy.membership.service.standing import CHINA
from groupbuy.settings import settings


@dataclass(frozen=True, slots=True)
class FastRefundAnswer:
    granted: bool
    reason: str  # granted, no_benefit, over_limit, window_passed, monthly_cap


def month_of(now: datetime) -> date:
    """The first day of ``now``'s calendar month in Asia/Shanghai (the counter's key)."""
    return now.astimezone(CHINA).date().replace(day=1)


@functools.cache
def _take_one(dialect_name: str) -> Any:
    """Count one fast refund of the month: insert, or add one only while the count stays within the cap."""
    statement = upsert_insert(dialect_name, FastRefundMonth)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "month"],
        set_={"used": FastRefundMonth.used + 1},
        where=FastRefundMonth.used < bindparam("cap"),
    ).returning(FastRefundMonth.used)


def claim_fast_refund(*, user_id: int, ordered_at: datetime, amount_fen: int, now: datetime) -> FastRefundAnswer:
    """May this cancellation be refunded at once? If so, one of the month's fast refunds is taken."""
    benefits = benefits_of(user_id, now=now)
    if benefits.fast_refund_limit_fen <= 0 or benefits.fast_refund_monthly_cap <= 0:
        return FastRefundAnswer(False, "no_benefit")
    if amount_fen > benefits.fast_refund_limit_fen:
        return FastRefundAnswer(False, "over_limit")
    if now - ordered_at > timedelta(minutes=settings().fast_refund_window_minutes):
        return FastRefundAnswer(False, "window_passed")
    with transaction():
        conn = connection()
        taken = conn.execute(
            _take_one(conn.dialect.name),
            {"user_id": user_id, "month": month_of(now), "used": 1, "cap": benefits.fast_refund_monthly_cap},
        ).first()
    return FastRefundAnswer(True, "granted") if taken else FastRefundAnswer(False, "monthly_cap")


def fast_refunds_used(*, user_id: int, now: datetime) -> int:
    """Fast refunds the shopper used in ``now``'s month."""
    row = db.session.get(FastRefundMonth, (user_id, month_of(now)))
    return row.used if row else 0
