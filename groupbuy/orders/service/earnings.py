"""A leader's commission: per order, on what the shopper finally pays for (paid minus every refund granted).

commission_fen = (paid_fen - refund_due_fen) * commission_rate_bp // 10000 for each order, rounded down to
the fen (the leader never gets a fraction of a fen); day and period totals are sums of those per-order
amounts, so they always add up. Counted: orders the leader confirmed (CONFIRMED_STATES), on their pickup
date (a calendar day in Asia/Shanghai); a completed order's commission is ``earned``, the others ``pending``.
The rate is the leader's current one (settlement statements, which will freeze it, are not built yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from groupbuy.common.pagination import Page
from groupbuy.db import db, transaction
from groupbuy.errors import Invalid
from groupbuy.leaders.service import get_active_leader
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import LeaderDeduction, Order
from groupbuy.orders.states import CONFIRMED_STATES

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_DAYS = 30
AHEAD_DAYS = 7
MAX_DAYS = 92
_EARNING = sorted(CONFIRMED_STATES)
_NET = Order.paid_fen - Order.refund_due_fen


@dataclass(frozen=True)
class EarningsReport:
    from_date: date
    to_date: date
    commission_rate_bp: int
    totals: dict[str, int]
    days: list[dict[str, Any]]
    orders: Page[dict[str, Any]]
    # refunds customer service put on the leader (after-sale disputes), by the day they were decided
    deductions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def deductions_fen(self) -> int:
        return sum(int(d["amount_fen"]) for d in self.deductions)

    @property
    def earned_after_deductions_fen(self) -> int:
        return int(self.totals["earned_fen"]) - self.deductions_fen


def commission_fen(net_fen: int, rate_bp: int) -> int:
    """The commission on one order, rounded down to the fen."""
    return net_fen * rate_bp // 10_000


def _period(from_date: date | None, to_date: date | None, now: datetime) -> tuple[date, date]:
    """The dates given; by default the last 30 days and the coming week's pickups (their commission is pending)."""
    span = timedelta(days=DEFAULT_DAYS - 1)
    if from_date and to_date:
        first, last = from_date, to_date
    elif from_date:
        first, last = from_date, from_date + span
    elif to_date:
        first, last = to_date - span, to_date
    else:
        today = now.astimezone(SHANGHAI).date()
        first, last = today - span, today + timedelta(days=AHEAD_DAYS)
    if last < first:
        raise Invalid(errors={"to": ["'to' must not be before 'from'"]})
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(errors={"from": [f"at most {MAX_DAYS} days"]})
    return first, last


def leader_earnings(
    *, user_id: int, from_date: date | None, to_date: date | None, page: int, page_size: int, now: datetime
) -> EarningsReport:
    """My commission for pickup dates from..to: totals, per day, per order (paged)."""
    leader = get_active_leader(user_id=user_id)
    from_date, to_date = _period(from_date, to_date, now)
    rate = leader.commission_rate_bp
    mine = (
        Order.leader_id == leader.id,
        Order.status.in_(_EARNING),
        Order.pickup_date >= from_date,
        Order.pickup_date <= to_date,
    )
    commission = (_NET * rate) // 10_000  # integer division: net >= 0, so this is the floor
    per_day = db.session.execute(
        select(
            Order.pickup_date,
            func.count(),
            func.sum(_NET),
            func.sum(commission),
            func.sum(case((Order.status == OrderStatus.COMPLETED, commission), else_=0)),
        )
        .where(*mine)
        .group_by(Order.pickup_date)
        .order_by(Order.pickup_date)
    ).all()
    days = [
        {
            "date": day,
            "orders": n,
            "net_fen": int(net),
            "commission_fen": int(fen),
            "earned_fen": int(earned),
            "pending_fen": int(fen) - int(earned),
        }
        for day, n, net, fen, earned in per_day
    ]
    earned = sum(d["earned_fen"] for d in days)
    total = sum(d["commission_fen"] for d in days)
    totals = {
        "orders": sum(d["orders"] for d in days),
        "net_fen": sum(d["net_fen"] for d in days),
        "commission_fen": total,
        "earned_fen": earned,
        "pending_fen": total - earned,
    }
    rows = db.session.execute(
        select(Order.id, Order.order_no, Order.pickup_date, Order.status, Order.paid_fen, Order.refund_due_fen)
        .where(*mine)
        .order_by(Order.pickup_date.desc(), Order.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    items = [_order_earning(row, rate) for row in rows]
    return EarningsReport(
        deductions=deductions_of(leader_id=leader.id, from_date=from_date, to_date=to_date),
        from_date=from_date,
        to_date=to_date,
        commission_rate_bp=rate,
        totals=totals,
        days=days,
        orders=Page(items=items, page=page, page_size=page_size, total=totals["orders"]),
    )


def _order_earning(row: Any, rate: int) -> dict[str, Any]:
    net = row.paid_fen - row.refund_due_fen
    return {
        "order_id": row.id,
        "order_no": row.order_no,
        "pickup_date": row.pickup_date,
        "status": row.status,
        "paid_fen": row.paid_fen,
        "refunded_fen": row.refund_due_fen,
        "net_fen": net,
        "commission_fen": commission_fen(net, rate),
        "earning": "earned" if row.status is OrderStatus.COMPLETED else "pending",
    }


def _shanghai_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)


def deductions_of(*, leader_id: int, from_date: date, to_date: date) -> list[dict[str, Any]]:
    """The leader's deductions decided on the days from..to (Asia/Shanghai), oldest first."""
    rows = db.session.execute(
        select(LeaderDeduction.id, LeaderDeduction.order_id, LeaderDeduction.amount_fen, LeaderDeduction.note)
        .add_columns(LeaderDeduction.created_at)
        .where(
            LeaderDeduction.leader_id == leader_id,
            LeaderDeduction.created_at >= _shanghai_start(from_date),
            LeaderDeduction.created_at < _shanghai_start(to_date + timedelta(days=1)),
        )
        .order_by(LeaderDeduction.created_at, LeaderDeduction.id)
    ).all()
    return [
        {"id": r.id, "order_id": r.order_id, "amount_fen": r.amount_fen, "note": r.note, "at": r.created_at}
        for r in rows
    ]


def record_leader_deduction(
    *, leader_id: int, order_id: int, amount_fen: int, source: str, note: str, now: datetime
) -> bool:
    """Take ``amount_fen`` off the leader's earnings for ``source`` (written once: False if it already was)."""
    if amount_fen <= 0:
        return False
    with transaction():
        if db.session.scalar(select(LeaderDeduction.id).where(LeaderDeduction.source == source)) is not None:
            return False
        db.session.add(
            LeaderDeduction(
                leader_id=leader_id,
                order_id=order_id,
                amount_fen=amount_fen,
                source=source[:60],
                note=note[:200],
                created_at=now,
            )
        )
        return True
