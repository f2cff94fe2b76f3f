"""Open groups, keep their unit counters, and close them — the only place a group's status changes."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CTE, Table, bindparam, case, exists, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from groupbuy.catalog.enums import DealStatus
from groupbuy.catalog.models import Deal
from groupbuy.catalog.service import DealView, deal_on_sale, get_deal_view, list_deals_on_sale
from groupbuy.common.pagination import Page
from groupbuy.common.urls import absolute_url
from groupbuy.db import connection, db, transaction, upsert_insert
from groupbuy.errors import Conflict, NotFound
from groupbuy.groups.enums import GroupOpenedBy, GroupStatus
from groupbuy.groups.models import Group, GroupEvent
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service import get_active_leader


@dataclass(frozen=True)
class GroupView:
    group: Group
    deal: Deal
    leader: Leader
    share_url: str
    qr_url: str


@dataclass(frozen=True)
class DealWithGroup(DealView):
    """A deal as a shopper sees it, with their leader's group for it (None without a leader or before any order)."""

    group: Group | None = None


def _groups_of(leader_id: int | None, deal_ids: list[int]) -> dict[int, Group]:
    """The leader's groups for these deals, by deal (one query for the whole page)."""
    if leader_id is None or not deal_ids:
        return {}
    rows = db.session.scalars(select(Group).where(Group.leader_id == leader_id, Group.deal_id.in_(deal_ids)))
    return {group.deal_id: group for group in rows}


def list_deals_with_groups(
    *, q: str | None, category_id: int | None, page: int, page_size: int, now: datetime, leader_id: int | None
) -> Page[DealWithGroup]:
    """The deals on sale (catalog's list and ranking), each with the leader's group for it."""
    found = list_deals_on_sale(q=q, category_id=category_id, page=page, page_size=page_size, now=now)
    groups = _groups_of(leader_id, [view.id for view in found.items])
    items = [DealWithGroup(view.deal, now, groups.get(view.id)) for view in found.items]
    return Page(items=items, page=found.page, page_size=found.page_size, total=found.total)


def get_deal_with_group(*, deal_id: int, now: datetime, leader_id: int | None) -> DealWithGroup:
    """A deal's page (catalog's rule for which deals show), with the leader's group for it."""
    view = get_deal_view(deal_id=deal_id, now=now)
    return DealWithGroup(view.deal, now, _groups_of(leader_id, [deal_id]).get(deal_id))


def share_url(group_id: int) -> str:
    """The link a leader shares (the mini-app opens the group page from it)."""
    return absolute_url(f"/groups/{group_id}")


def view_group(group: Group) -> GroupView:
    deal = db.session.get_one(Deal, group.deal_id)
    leader = db.session.get_one(Leader, group.leader_id)
    return GroupView(
        group=group,
        deal=deal,
        leader=leader,
        share_url=share_url(group.id),
        qr_url=absolute_url(f"/api/v1/groups/{group.id}/qr.png"),
    )


def get_group(*, group_id: int) -> GroupView:
    """A group page: anyone may see it."""
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotFound()
    return view_group(group)


@dataclass(frozen=True)
class LeaderGroupView:
    """One of a leader's groups on their desk: progress to the threshold and time to the cutoff."""

    group: Group
    deal: Deal
    units_to_go: int
    progress_bp: int
    seconds_to_cutoff: int
    share_url: str
    qr_url: str


def list_leader_groups(
    *, user_id: int, status: GroupStatus | None, page: int, page_size: int, now: datetime
) -> Page[LeaderGroupView]:
    """A leader's own groups: open ones first, the soonest cutoff first; then the closed ones, latest first."""
    leader = get_active_leader(user_id=user_id)
    query = select(Group, Deal).join(Deal, Deal.id == Group.deal_id).where(Group.leader_id == leader.id)
    if status is not None:
        query = query.where(Group.status == status)
    is_open = Group.status == GroupStatus.OPEN
    order = (case((is_open, 0), else_=1), case((is_open, Deal.cutoff_at)).asc(), Deal.cutoff_at.desc(), Group.id.desc())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(*order).limit(page_size).offset((page - 1) * page_size)).all()
    items = [_desk_view(group, deal, now) for group, deal in rows]
    return Page(items=items, page=page, page_size=page_size, total=total)


def _desk_view(group: Group, deal: Deal, now: datetime) -> LeaderGroupView:
    threshold = max(deal.min_group_quantity, 1)
    countdown = int((deal.cutoff_at - now).total_seconds()) if group.status is GroupStatus.OPEN else 0
    return LeaderGroupView(
        group=group,
        deal=deal,
        units_to_go=max(threshold - group.units_paid, 0),
        progress_bp=min(group.units_paid * 10_000 // threshold, 10_000),
        seconds_to_cutoff=max(countdown, 0),
        share_url=share_url(group.id),
        qr_url=absolute_url(f"/api/v1/groups/{group.id}/qr.png"),
    )


def find_group(*, leader_id: int, deal_id: int) -> Group | None:
    return db.session.scalar(select(Group).where(Group.leader_id == leader_id, Group.deal_id == deal_id))


def open_group(*, leader_id: int, deal_id: int, opened_by: GroupOpenedBy, now: datetime) -> tuple[Group, bool]:
    """One group per leader and deal, opened while the deal is on sale; a second call returns the same group."""
    with transaction():
        existing = find_group(leader_id=leader_id, deal_id=deal_id)
        if existing is not None:
            return existing, False
        deal = db.session.get(Deal, deal_id)
        if deal is None:
            raise NotFound()
        if not deal_on_sale(deal, now):
            raise Conflict("deal_closed")
        group = Group(
            leader_id=leader_id,
            deal_id=deal_id,
            status=GroupStatus.OPEN,
            opened_by=opened_by,
            units_reserved=0,
            units_paid=0,
            created_at=now,
        )
        try:
            with db.session.begin_nested():  # a concurrent opener may win the unique (leader, deal)
                db.session.add(group)
        except IntegrityError:
            winner = find_group(leader_id=leader_id, deal_id=deal_id)
            if winner is None:
                raise
            return winner, False
        return group, True


def open_leader_group(*, user_id: int, deal_id: int, now: datetime) -> tuple[Group, bool]:
    """A leader (active, not suspended) opens their group for a deal; the same deal returns the same group."""
    leader = get_active_leader(user_id=user_id)
    return open_group(leader_id=leader.id, deal_id=deal_id, opened_by=GroupOpenedBy.LEADER, now=now)


_JOINED_BY_ORDER = {"status": GroupStatus.OPEN, "opened_by": GroupOpenedBy.ORDER, "units_paid": 0}


def _on_join_conflict(statement: Any) -> Any:
    """The group's id; units added to an existing group only while it is open (no row once it has closed)."""
    return statement.on_conflict_do_update(
        index_elements=["leader_id", "deal_id"],
        set_={"units_reserved": Group.units_reserved + statement.excluded.units_reserved},
        where=Group.status == GroupStatus.OPEN,
    ).returning(Group.id)


@functools.cache
def _join_statement(dialect_name: str) -> Any:
    return _on_join_conflict(upsert_insert(dialect_name, Group))


def join_group_after(gate: CTE, *, drawn_id: bool) -> Any:
    """join_group's upsert inside a statement that writes several things (checkout's one-line order on PostgreSQL):
    bound ``leader_id``, ``deal_id``, ``quantity``, ``now``, and with ``drawn_id`` ``group_id`` (the id a group
    opened by it takes, drawn beforehand; an existing group keeps its own); no row when the group has closed; it
    runs only once ``gate`` has returned a row, so after the rows ``gate`` locks."""
    columns = Group.__table__.c
    bound = {"leader_id": "leader_id", "deal_id": "deal_id", "units_reserved": "quantity", "created_at": "now"}
    if drawn_id:
        bound = {"id": "group_id", **bound}
    row = [bindparam(name, type_=columns[key].type) for key, name in bound.items()]
    row += [literal(value, columns[key].type) for key, value in _JOINED_BY_ORDER.items()]
    rows = select(*row).where(exists(gate.select()))
    return _on_join_conflict(postgresql.insert(Group).from_select([*bound, *_JOINED_BY_ORDER], rows))


def join_group(*, leader_id: int, deal_id: int, quantity: int, now: datetime) -> int:
    """Open the leader's group for the deal or add to it, in one upsert; 409 group_closed once it left `open`."""
    with transaction():
        conn = connection()
        params = {"leader_id": leader_id, "deal_id": deal_id, "units_reserved": quantity, "created_at": now}
        joined = conn.execute(_join_statement(conn.dialect.name), {**params, **_JOINED_BY_ORDER}).first()
        if joined is None:
            raise Conflict("group_closed")
        return int(joined.id)


def release_group_units(*, group_id: int, quantity: int, paid: bool) -> None:
    """Take a cancelled order's units back out of the counters (whatever the group's status)."""
    values = {"units_reserved": Group.units_reserved - quantity}
    if paid:
        values["units_paid"] = Group.units_paid - quantity
    with transaction():
        db.session.execute(update(Group).where(Group.id == group_id).values(**values))


def release_units_of_groups(units: Mapping[int, int], *, paid: bool) -> None:
    """release_group_units for many orders at once, {group_id: quantity}, in group order (the jobs' bulk path)."""
    if not units:
        return
    groups = cast(Table, Group.__table__)
    values = {"units_reserved": groups.c.units_reserved - bindparam("b_qty")}
    if paid:
        values["units_paid"] = groups.c.units_paid - bindparam("b_qty")
    with transaction():
        db.session.execute(
            update(groups).where(groups.c.id == bindparam("b_id")).values(**values),
            [{"b_id": group_id, "b_qty": quantity} for group_id, quantity in sorted(units.items())],
        )


def count_paid_units(*, group_id: int, quantity: int) -> bool:
    """Move paid units into the count while the group is open; False when it has already closed."""
    with transaction():
        result = db.session.execute(
            update(Group)
            .where(Group.id == group_id, Group.status == GroupStatus.OPEN)
            .values(units_paid=Group.units_paid + quantity)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class GroupClosure:
    group_id: int
    deal_id: int
    leader_id: int
    status: GroupStatus
    units_paid: int


def claim_due_groups(*, now: datetime, after_leader_id: int, limit: int) -> list[int]:
    """The open groups past their deal's cutoff of the next leaders (by leader id): about ``limit`` groups, and
    every due group of each leader taken, so a closing batch settles whole orders (an order belongs to one
    leader) and a leader gets one digest. The leaders' rows are locked for the caller's transaction (FOR NO KEY
    UPDATE: checkouts referencing them are not held up), so parallel runners never split a leader; a leader or
    group another transaction holds is skipped, never waited for (SKIP LOCKED on PostgreSQL)."""
    due = (Group.status == GroupStatus.OPEN, Deal.cutoff_at <= now)
    per_leader = db.session.execute(
        select(Group.leader_id, func.count())
        .join(Deal, Deal.id == Group.deal_id)
        .where(*due, Group.leader_id > after_leader_id)
        .group_by(Group.leader_id)
        .order_by(Group.leader_id)
        .limit(limit)
    ).all()
    wanted, total = [], 0
    for leader_id, groups in per_leader:
        wanted.append(leader_id)
        total += groups
        if total >= limit:
            break
    if not wanted:
        return []
    held = db.session.scalars(
        select(Leader.id)
        .where(Leader.id.in_(wanted))
        .order_by(Leader.id)
        .with_for_update(skip_locked=True, key_share=True)
    ).all()
    if not held:  # every one of them is being closed by another runner: carry on after them
        return claim_due_groups(now=now, after_leader_id=wanted[-1], limit=limit)
    return list(
        db.session.scalars(
            select(Group.id)
            .join(Deal, Deal.id == Group.deal_id)
            .where(*due, Group.leader_id.in_(held))
            .order_by(Group.leader_id, Group.id)
            .with_for_update(of=Group, skip_locked=True)
        )
    ) or claim_due_groups(now=now, after_leader_id=held[-1], limit=limit)


def close_groups(*, group_ids: list[int], now: datetime, actor: str = "system") -> list[GroupClosure]:
    """Close open groups: cancelled when the deal was cancelled or the leader is suspended (nobody can hand the
    goods out), else succeeded when paid units reach the deal's threshold, else failed — decided in one
    conditional UPDATE on the rows as they are, with one event per group. Groups no longer open are left alone."""
    if not group_ids:
        return []
    groups, deals, leaders = cast(Table, Group.__table__), cast(Table, Deal.__table__), cast(Table, Leader.__table__)
    outcome = case(
        (deals.c.status == DealStatus.CANCELLED.value, GroupStatus.CANCELLED.value),
        (leaders.c.status == LeaderStatus.SUSPENDED.value, GroupStatus.CANCELLED.value),
        (groups.c.units_paid >= deals.c.min_group_quantity, GroupStatus.SUCCEEDED.value),
        else_=GroupStatus.FAILED.value,
    )
    with transaction():
        rows = db.session.execute(
            update(groups)
            .where(
                groups.c.id.in_(group_ids),
                groups.c.status == GroupStatus.OPEN,
                deals.c.id == groups.c.deal_id,
                leaders.c.id == groups.c.leader_id,
            )
            .values(status=outcome, closed_at=now)
            .returning(groups.c.id, groups.c.deal_id, groups.c.leader_id, groups.c.status, groups.c.units_paid)
        ).all()
        closures = sorted(
            (
                GroupClosure(
                    group_id=r.id,
                    deal_id=r.deal_id,
                    leader_id=r.leader_id,
                    status=GroupStatus(r.status),
                    units_paid=r.units_paid,
                )
                for r in rows
            ),
            key=lambda c: c.group_id,
        )
        if closures:
            db.session.execute(
                insert(cast(Table, GroupEvent.__table__)),
                [
                    {
                        "group_id": c.group_id,
                        "from_status": GroupStatus.OPEN,
                        "to_status": c.status,
                        "actor": actor,
                        "note": None,
                        "units_paid": c.units_paid,
                        "at": now,
                    }
                    for c in closures
                ],
            )
        return closures


def close_group(*, group_id: int, now: datetime, actor: str = "system") -> GroupStatus | None:
    """At the cutoff: succeeded if paid units reach the deal's threshold, else failed; None if already closed."""
    if db.session.get(Group, group_id) is None:
        raise NotFound()
    closed = close_groups(group_ids=[group_id], now=now, actor=actor)
    return closed[0].status if closed else None


def cancel_group(*, group_id: int, actor: str, reason: str, now: datetime) -> GroupStatus | None:
    """Call a group off (deal cancelled, leader suspended); None if it was no longer open."""
    with transaction():
        row = db.session.execute(
            update(Group)
            .where(Group.id == group_id, Group.status == GroupStatus.OPEN)
            .values(status=GroupStatus.CANCELLED, closed_at=now)
            .returning(Group.units_paid)
        ).first()
        if row is None:
            return None
        db.session.add(
            GroupEvent(
                group_id=group_id,
                from_status=GroupStatus.OPEN,
                to_status=GroupStatus.CANCELLED,
                actor=actor,
                note=reason,
                units_paid=row.units_paid,
                at=now,
            )
        )
        return GroupStatus.CANCELLED
