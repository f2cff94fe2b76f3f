"""The run ledger and the job locks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from groupbuy.db import ID, Base


class JobRun(Base):
    """One run of one job: when, by which process, what it did (counts), and the error if it failed."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    runner: Mapped[str] = mapped_column(String(120))  # host:pid
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    errors: Mapped[str | None] = mapped_column(Text)
    # `run-job --now`: the time the job was told it was. The row itself is dated at the real time, and a
    # simulated run never counts as the job's last success.
    simulated_now: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_job_runs_job_started", "job", "started_at"),
        CheckConstraint("items_done >= 0", name="items_done_nonnegative"),
    )


class JobLock(Base):
    """A lease on one job, taken by a conditional UPDATE: the one-runner guard where rows cannot be SKIP LOCKED."""

    __tablename__ = "job_locks"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None]
