"""The workbench figures of seed 004 for the last 7 or 30 days: share-page visitors and views, orders, buyers,
GMV and refund rate, per day for the chart and in total. Read-only; days are calendar days in Asia/Shanghai.

- views / visitors: the leader's group share pages (groups.visits); visitors add up per group page and day.
- orders: the leader's orders paid that day; buyers: distinct shoppers among them (over the whole window).
- GMV: what those orders paid (fen); refund rate: the part of it refunded since (shortages, failed groups,
  after-sales), over GMV.
- response rate and median first-response time: the leader's answers to shoppers' inquiries over the same days
  (groupbuy.messaging's one read function says how inquiries are counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from groupbuy.db import db
from groupbuy.groups.visits import leader_page_days
from groupbuy.messaging.service import ResponseFigures, response_figures
from groupbuy.orders.models import Order
from groupbuy.web.format import SHANGHAI, rate
from groupbuy.web.today import day_bounds, local_today

WINDOWS = (7, 30)


@dataclass(frozen=True)
class FigureDay:
    day: date
    views: int
    visitors: int
    orders: int
    gmv_fen: int


@dataclass(frozen=True)
class Figures:
    days: int
    first_day: date
    last_day: date
    views: int
    visitors: int
    orders: int
    buyers: int
    gmv_fen: int
    refunded_fen: int
    refund_rate: str
    per_day: list[FigureDay]
    responses: ResponseFigures


def leader_figures(*, leader_id: int, days: int, now: datetime) -> Figures:
    """The last ``days`` days up to today, today included."""
    last = local_today(now)
    first = last - timedelta(days=days - 1)
    start, end = day_bounds(first, last)
    paid = db.session.execute(
        select(Order.paid_at, Order.user_id, Order.paid_fen, Order.refund_due_fen).where(
            Order.leader_id == leader_id, Order.paid_at >= start, Order.paid_at < end
        )
    ).all()
    orders_by_day: dict[date, list[int]] = {}
    for paid_at, _user, paid_fen, _refund in paid:
        if paid_at is not None:  # always: the query filters on it
            orders_by_day.setdefault(paid_at.astimezone(SHANGHAI).date(), []).append(int(paid_fen))
    pages = leader_page_days(leader_id=leader_id, first_day=first, last_day=last)
    per_day = [
        FigureDay(
            day=page.day,
            views=page.views,
            visitors=page.visitors,
            orders=len(orders_by_day.get(page.day, [])),
            gmv_fen=sum(orders_by_day.get(page.day, [])),
        )
        for page in pages
    ]
    gmv = sum(int(row.paid_fen) for row in paid)
    refunded = sum(int(row.refund_due_fen) for row in paid)
    return Figures(
        days=days,
        first_day=first,
        last_day=last,
        views=sum(d.views for d in per_day),
        visitors=sum(d.visitors for d in per_day),
        orders=len(paid),
        buyers=len({row.user_id for row in paid}),
        gmv_fen=gmv,
        refunded_fen=refunded,
        refund_rate=rate(refunded, gmv),
        per_day=per_day,
        responses=response_figures(leader_id=leader_id, days=days, now=now),
    )
