"""Groups and their transition timeline."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.db import ID, Base, enum_column
from groupbuy.groups.enums import GroupOpenedBy, GroupStatus


class Group(Base):
    """Counters are changed only by conditional UPDATEs in the same transaction as the order change."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="RESTRICT"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="RESTRICT"))
    status: Mapped[GroupStatus] = mapped_column(enum_column(GroupStatus, "group_status"), default=GroupStatus.OPEN)
    opened_by: Mapped[GroupOpenedBy] = mapped_column(enum_column(GroupOpenedBy, "group_opened_by"))
    units_reserved: Mapped[int] = mapped_column(Integer, default=0)
    units_paid: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("leader_id", "deal_id", name="uq_groups_leader_deal"),
        Index("ix_groups_status_deal", "status", "deal_id"),
        CheckConstraint("units_reserved >= 0", name="units_reserved_nonnegative"),
        CheckConstraint("units_paid >= 0 AND units_paid <= units_reserved", name="units_paid_within_reserved"),
    )


class GroupEvent(Base):
    """One row per group transition."""

    __tablename__ = "group_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[GroupStatus] = mapped_column(enum_column(GroupStatus, "group_event_from"))
    to_status: Mapped[GroupStatus] = mapped_column(enum_column(GroupStatus, "group_event_to"))
    actor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))
    units_paid: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]


class GroupPageDay(Base):
    """Views and distinct visitors of one group's share page on one calendar day (Asia/Shanghai).

    ``leader_id`` is copied from the group so the workbench sums a leader's days on one index.
    """

    __tablename__ = "group_page_days"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="CASCADE"))
    views: Mapped[int] = mapped_column(Integer, default=0)
    visitors: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_group_page_days_leader_day", "leader_id", "day"),
        CheckConstraint("views >= 0 AND visitors >= 0", name="counts_nonnegative"),
    )


class GroupPageVisitor(Base):
    """A visitor seen on a group page on a day, as a keyed hash of the visitor cookie salted with the day: the
    same browser cannot be followed from one day to the next, and no cookie value or personal data is kept."""

    __tablename__ = "group_page_visitors"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visitor_hash: Mapped[str] = mapped_column(String(32), primary_key=True)
