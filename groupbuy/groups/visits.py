"""Share-page counting: every view, and distinct visitors per group and day (Asia/Shanghai), without personal data.

A visitor is the random id of a first-party cookie; only a keyed hash of it, salted with the day, is stored, so
the rows say "someone came back today" and nothing more (no IP, no user agent, no link across days). A request
without the cookie (a first visit, a link-preview bot) counts as a view only: the page's beacon, which a browser
loads with the cookie just set, counts the visitor.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from groupbuy.db import connection, db, insert_or_ignore, transaction
from groupbuy.groups.models import Group, GroupPageDay, GroupPageVisitor
from groupbuy.settings import settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def page_day(now: datetime) -> date:
    """The calendar day (Asia/Shanghai) a view at ``now`` counts on."""
    return now.astimezone(SHANGHAI).date()


def _visitor_hash(visitor: str, day: date) -> str:
    key = settings().secret_key.encode()
    return hmac.new(key, f"group-page:{day.isoformat()}:{visitor}".encode(), hashlib.sha256).hexdigest()[:32]


def _bump(group: Group, day: date, *, views: int, visitors: int) -> None:
    statement = insert_or_ignore(GroupPageDay)
    connection().execute(
        statement.values(
            group_id=group.id, day=day, leader_id=group.leader_id, views=views, visitors=visitors
        ).on_conflict_do_update(
            index_elements=["group_id", "day"],
            set_={
                "views": GroupPageDay.views + statement.excluded.views,
                "visitors": GroupPageDay.visitors + statement.excluded.visitors,
            },
        )
    )


def _first_visit_today(group: Group, day: date, visitor: str) -> bool:
    inserted = (
        connection()
        .execute(
            insert_or_ignore(GroupPageVisitor)
            .values(group_id=group.id, day=day, visitor_hash=_visitor_hash(visitor, day))
            .on_conflict_do_nothing()
            .returning(GroupPageVisitor.group_id)  # a row back only when it was new (rowcount is not reliable here)
        )
        .first()
    )
    return inserted is not None


def count_page_view(*, group_id: int, visitor: str | None, now: datetime) -> None:
    """One more view of the group's page; a known visitor id also counts once per group and day."""
    with transaction():
        group = db.session.get(Group, group_id)
        if group is None:
            return
        day = page_day(now)
        new_visitor = visitor is not None and _first_visit_today(group, day, visitor)
        _bump(group, day, views=1, visitors=int(new_visitor))


def count_page_visitor(*, group_id: int, visitor: str, now: datetime) -> bool:
    """The page's beacon: the visitor counts once per group and day, and no view is added; True if new today."""
    with transaction():
        group = db.session.get(Group, group_id)
        if group is None:
            return False
        day = page_day(now)
        if not _first_visit_today(group, day, visitor):
            return False
        _bump(group, day, views=0, visitors=1)
        return True


@dataclass(frozen=True)
class PageDay:
    day: date
    views: int
    visitors: int


def leader_page_days(*, leader_id: int, first_day: date, last_day: date) -> list[PageDay]:
    """Views and visitors of all of a leader's group pages, per day from ``first_day`` to ``last_day`` (zeros kept)."""
    rows = db.session.execute(
        select(GroupPageDay.day, func.sum(GroupPageDay.views), func.sum(GroupPageDay.visitors))
        .where(GroupPageDay.leader_id == leader_id, GroupPageDay.day >= first_day, GroupPageDay.day <= last_day)
        .group_by(GroupPageDay.day)
    ).all()
    found = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}
    days = (last_day - first_day).days + 1
    return [
        PageDay(day=d, views=found.get(d, (0, 0))[0], visitors=found.get(d, (0, 0))[1])
        for d in (first_day + timedelta(days=n) for n in range(days))
    ]


def forget_visitors_before(*, day: date) -> int:
    """Drop the per-visitor rows of days before ``day`` (the daily counts stay): they only serve to count today."""
    with transaction():
        result = db.session.execute(delete(GroupPageVisitor).where(GroupPageVisitor.day < day))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result has a rowcount
