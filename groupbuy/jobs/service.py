"""Run a job once with a ledger row, the SQLite job lock, rollback on error; report which jobs are overdue."""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.common.fields import mask_mobiles_in_text
from groupbuy.db import db, transaction
from groupbuy.jobs.models import JobLock, JobRun
from groupbuy.notifications.enums import OutboxStatus
from groupbuy.notifications.models import OutboxMessage

log = structlog.get_logger(__name__)

JobFunction = Callable[[datetime], Mapping[str, int]]
# A crashed holder's lock frees itself after this; the work is still safe twice (conditional transitions).
LOCK_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class JobDefinition:
    """What the ledger knows of a job: its id and how often it should succeed."""

    name: str
    every: timedelta


@dataclass(frozen=True)
class RunOutcome:
    job: str
    counts: dict[str, int] = field(default_factory=dict)
    errors: str | None = None
    skipped: bool = False  # another process holds the job lock (SQLite)


@dataclass(frozen=True)
class JobStatus:
    job: str
    every_seconds: int
    last_run: JobRun | None
    last_success_at: datetime | None
    overdue: bool


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def needs_job_lock() -> bool:
    """PostgreSQL claims rows with FOR UPDATE SKIP LOCKED; SQLite cannot, so one process runs a job at a time."""
    return db.engine.dialect.name != "postgresql"


def claim_job_lock(*, job: str, holder: str, now: datetime) -> bool:
    """Take the job's lease if it is free or expired (a conditional UPDATE); False if someone holds it."""
    with transaction():
        try:
            with db.session.begin_nested():  # the first claim ever creates the row; a concurrent creator may win
                db.session.add(JobLock(job=job, holder=None, locked_until=None))
        except IntegrityError:
            pass
        taken = db.session.execute(
            update(JobLock)
            .where(JobLock.job == job, or_(JobLock.locked_until.is_(None), JobLock.locked_until <= now))
            .values(holder=holder, locked_until=now + LOCK_LEASE)
            .execution_options(synchronize_session=False)
        )
        return bool(taken.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def release_job_lock(*, job: str, holder: str) -> None:
    with transaction():
        db.session.execute(
            update(JobLock)
            .where(JobLock.job == job, JobLock.holder == holder)
            .values(holder=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )


def _describe(exc: BaseException) -> str:
    """Type and driver message only (a DBAPIError's text would carry the SQL parameters)."""
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return mask_mobiles_in_text(f"{type(exc).__name__}: {message[0] if message else ''}")[:1000]


def release_simulated_messages(*, simulated_now: datetime, real_now: datetime) -> int:
    """Messages a simulated run queued (created at its future time) become due now instead of then."""
    with transaction():
        moved = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.created_at >= simulated_now,
                OutboxMessage.next_attempt_at > real_now,
            )
            .values(next_attempt_at=real_now)
            .execution_options(synchronize_session=False)
        )
        return int(moved.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def run_job(*, job: str, function: JobFunction, now: datetime, real_now: datetime | None = None) -> RunOutcome:
    """Run ``function(now)`` once: ledger row first, the job lock on SQLite, rollback and record on error.

    ``real_now`` makes it a simulated run (`run-job --now`): the job sees ``now``, but the lock and the ledger
    row use the real time, the row is labelled with ``now``, and outbox messages queued for a future ``now``
    are due at the real time (they are real messages to real people).
    """
    simulated = real_now is not None
    at = real_now if real_now is not None else now
    holder = runner_name()
    locked = needs_job_lock()
    if locked and not claim_job_lock(job=job, holder=holder, now=at):
        log.info("job_skipped_locked", job=job)
        return RunOutcome(job=job, skipped=True)
    with transaction():
        run = JobRun(
            job=job,
            runner=holder,
            started_at=at,
            items_done=0,
            counts={},
            simulated_now=now if simulated else None,
        )
        db.session.add(run)
    started = time.monotonic()
    counts: dict[str, int] = {}
    errors = None
    try:
        counts = {key: int(value) for key, value in function(now).items()}
    except Exception as exc:
        db.session.rollback()
        errors = _describe(exc)
        trace = mask_mobiles_in_text("".join(traceback.format_exception(exc)))  # the message may carry data
        log.error("job_failed", job=job, error=errors, traceback=trace)
    finally:
        db.session.rollback()  # nothing of a half-done batch survives into the ledger write
        finished = at + timedelta(seconds=time.monotonic() - started)
        with transaction():
            db.session.execute(
                update(JobRun)
                .where(JobRun.id == run.id)
                .values(finished_at=finished, counts=counts, items_done=sum(counts.values()), errors=errors)
                .execution_options(synchronize_session=False)
            )
        if locked:
            release_job_lock(job=job, holder=holder)
        if real_now is not None and now > real_now:
            release_simulated_messages(simulated_now=now, real_now=real_now)
    log.info("job_finished", job=job, counts=counts, failed=errors is not None, simulated=simulated)
    return RunOutcome(job=job, counts=counts, errors=errors)


def job_statuses(*, jobs: Sequence[JobDefinition], now: datetime) -> list[JobStatus]:
    """The latest run of every job, and whether it is overdue (no successful run within twice its interval)."""
    statuses = []
    for job in jobs:
        last_run = db.session.scalar(
            select(JobRun).where(JobRun.job == job.name).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)
        )
        last_success = db.session.scalar(
            select(func.max(JobRun.started_at)).where(
                JobRun.job == job.name,
                JobRun.finished_at.is_not(None),
                JobRun.errors.is_(None),
                JobRun.simulated_now.is_(None),
            )
        )
        statuses.append(
            JobStatus(
                job=job.name,
                every_seconds=int(job.every.total_seconds()),
                last_run=last_run,
                last_success_at=last_success,
                overdue=last_success is None or now - last_success > 2 * job.every,
            )
        )
    return statuses
