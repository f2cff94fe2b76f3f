"""Small page-side decisions kept out of the routes: where a login goes next, the chart of the figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import request, url_for

from groupbuy import clock
from groupbuy.accounts.service import Caller, identify_caller
from groupbuy.accounts.service.sessions import IssuedToken
from groupbuy.web.chart import Chart, bar_line_chart
from groupbuy.web.figures import Figures
from groupbuy.web.format import local_day, yuan
from groupbuy.web.today import local_today


def login_target() -> str:
    """Back to the workbench page that sent the reader to log in; anything else (another site, another path) is
    the workbench's front page: no open redirect."""
    wanted = request.values.get("next", "")
    if wanted.startswith("/workbench") and "//" not in wanted and "\\" not in wanted:
        return wanted
    return str(url_for("workbench.today"))


def console_target() -> str:
    """Where a CS or admin login goes: back to the console page that sent them, else the console's front page."""
    wanted = request.values.get("next", "")
    if wanted.startswith("/console") and "//" not in wanted and "\\" not in wanted:
        return wanted
    return "/console/"


def pickup_day(raw: str | None, now: datetime) -> date:
    """The pickup date asked for (YYYY-MM-DD, 2000-2100), else today in Asia/Shanghai."""
    try:
        day = date.fromisoformat(raw or "")
    except ValueError:
        return local_today(now)
    return day if 2000 <= day.year <= 2100 else local_today(now)


def neighbour_days(day: date) -> tuple[date, date]:
    return day - timedelta(days=1), day + timedelta(days=1)


def issued_caller(issued: IssuedToken) -> Caller:
    """Who a token just issued belongs to, with their roles (as every later request will see them)."""
    caller = identify_caller(token=issued.token, now=clock.now())
    if caller is None:  # issued a moment ago: only a concurrent suspension could revoke it
        return Caller(id=issued.user.id, role_names=frozenset(), current_leader_id=None)
    return caller


def figures_chart(figures: Figures) -> Chart:
    """GMV per day as bars, share-page visitors per day as a line."""
    return bar_line_chart(
        [local_day(day.day) for day in figures.per_day],
        [day.gmv_fen for day in figures.per_day],
        [day.visitors for day in figures.per_day],
        bar_text=[yuan(day.gmv_fen) for day in figures.per_day],
        tick_every=1 if figures.days <= 7 else 5,
    )
