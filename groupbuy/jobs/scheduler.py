"""The one trigger table: which job runs when. Only `flask groupbuy scheduler` starts a scheduler; web workers never.

APScheduler only triggers. Every job is a plain function of ``now`` in its domain's jobs.py, run through
``groupbuy.jobs.service.run_job`` (ledger row, job lock on SQLite, rollback on error) inside an app context.
Jobs choose their work from database state, so a missed or late tick is caught up by the next run, and a
second scheduler process is safe (rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from groupbuy import clock
from groupbuy.accounts.jobs import purge_spent_credentials
from groupbuy.aftersales.jobs import escalate_unanswered_after_sales
from groupbuy.db import db
from groupbuy.flows.jobs import close_due_groups, dispatch_due_orders, handle_unclaimed_goods
from groupbuy.groups.jobs import forget_group_page_visitors
from groupbuy.idempotency.jobs import purge_idempotency_keys
from groupbuy.jobs.service import JobDefinition, JobFunction, RunOutcome, run_job
from groupbuy.leaders.jobs import refresh_leader_credit
from groupbuy.membership.jobs import recompute_member_tiers
from groupbuy.notifications.jobs import deliver_notifications
from groupbuy.orders.jobs import auto_confirm_receipt, expire_unpaid_orders
from groupbuy.payments.jobs import prune_payment_notifications, reconcile_payments, retry_refunds
from groupbuy.reviews.jobs import refresh_review_figures
from groupbuy.uploads.jobs import purge_orphan_uploads

TIMEZONE = ZoneInfo("Asia/Shanghai")
JOB_DEFAULTS = {
    "coalesce": True,  # missed ticks become one run: the job catches up from database state anyway
    "max_instances": 1,
    "misfire_grace_time": 3600,  # 3.x defaults to 1 s, which silently skips runs on a busy machine
}


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    function: JobFunction
    trigger: BaseTrigger
    every: timedelta  # how often it should succeed: overdue after twice this


def _every(**interval: int) -> tuple[IntervalTrigger, timedelta]:
    return IntervalTrigger(timezone=TIMEZONE, **interval), timedelta(**interval)


def _daily(hour: int, minute: int) -> tuple[CronTrigger, timedelta]:
    return CronTrigger(hour=hour, minute=minute, timezone=TIMEZONE), timedelta(days=1)


JOBS: tuple[ScheduledJob, ...] = (
    ScheduledJob("close_due_groups", close_due_groups, *_every(minutes=1)),
    ScheduledJob("expire_unpaid_orders", expire_unpaid_orders, *_every(minutes=1)),
    ScheduledJob("deliver_notifications", deliver_notifications, *_every(seconds=30)),
    ScheduledJob(
        "auto_confirm_receipt", auto_confirm_receipt, CronTrigger(minute=15, timezone=TIMEZONE), timedelta(hours=1)
    ),
    # Hourly: the run after DISPATCH_HOUR on the eve ships; a late or missed run catches up from order state.
    ScheduledJob(
        "dispatch_due_orders", dispatch_due_orders, CronTrigger(minute=5, timezone=TIMEZONE), timedelta(hours=1)
    ),
    ScheduledJob(
        "handle_unclaimed_goods", handle_unclaimed_goods, CronTrigger(minute=35, timezone=TIMEZONE), timedelta(hours=1)
    ),
    ScheduledJob("reconcile_payments", reconcile_payments, *_every(minutes=5)),
    ScheduledJob("retry_refunds", retry_refunds, *_every(minutes=5)),
    ScheduledJob("refresh_leader_credit", refresh_leader_credit, *_daily(3, 30)),
    ScheduledJob("purge_spent_credentials", purge_spent_credentials, *_daily(4, 10)),
    ScheduledJob("purge_idempotency_keys", purge_idempotency_keys, *_daily(4, 20)),
    ScheduledJob("prune_payment_notifications", prune_payment_notifications, *_daily(4, 40)),
    ScheduledJob("forget_group_page_visitors", forget_group_page_visitors, *_daily(4, 50)),
    ScheduledJob("purge_orphan_uploads", purge_orphan_uploads, *_every(hours=1)),
    ScheduledJob("recompute_member_tiers", recompute_member_tiers, *_daily(3, 0)),
    ScheduledJob("escalate_unanswered_after_sales", escalate_unanswered_after_sales, *_every(minutes=10)),
    ScheduledJob("refresh_review_figures", refresh_review_figures, *_every(hours=1)),
)
JOBS_BY_ID = {job.id: job for job in JOBS}
JOB_DEFINITIONS = tuple(JobDefinition(name=job.id, every=job.every) for job in JOBS)


def run_scheduled_job(
    app: Flask, job: ScheduledJob, now: datetime | None = None, *, real_now: datetime | None = None
) -> RunOutcome:
    """One run in its own app context and session; the session is removed afterwards whatever happened.

    ``real_now`` (with ``now``) makes it a simulated run, see ``run_job``.
    """
    with app.app_context():
        try:
            return run_job(job=job.id, function=job.function, now=now or clock.now(), real_now=real_now)
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A BlockingScheduler with every job of the table; each also runs once right at start (catch-up)."""
    scheduler = BlockingScheduler(
        timezone=TIMEZONE, job_defaults=JOB_DEFAULTS, executors={"default": ThreadPoolExecutor(max_workers=4)}
    )
    started = datetime.now(TIMEZONE)
    for job in JOBS:
        scheduler.add_job(
            run_scheduled_job,
            trigger=job.trigger,
            args=(app, job),
            id=job.id,
            name=job.id,
            replace_existing=True,
            next_run_time=started,
        )
    return scheduler


def serve(app: Flask, *, echo: Callable[[str], None]) -> None:
    """Run the scheduler in this process until SIGTERM / SIGINT, then let running jobs finish."""
    scheduler = build_scheduler(app)
    stop_requested = threading.Event()
    stoppers: list[threading.Thread] = []

    def shut_down(reason: str) -> None:
        echo(f"scheduler stopping ({reason}): waiting for running jobs")
        scheduler.shutdown(wait=True)

    def request_stop(reason: str) -> None:
        # Never shut down inside the signal handler: the interrupted main thread may hold a lock a job needs.
        stop_requested.set()
        if scheduler.running and not stoppers:
            stoppers.append(threading.Thread(target=shut_down, args=(reason,), name="scheduler-shutdown"))
            stoppers[0].start()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        request_stop(signal.Signals(signum).name)

    def on_started(_event: SchedulerEvent) -> None:
        if stop_requested.is_set():  # a signal that came while start() was still setting up
            request_stop("signal during start")
            return
        echo(f"scheduler running ({TIMEZONE.key}): " + ", ".join(f"{job.id} [{job.trigger}]" for job in JOBS))

    scheduler.add_listener(on_started, EVENT_SCHEDULER_STARTED)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler.start()  # blocks until the shutdown thread stops it
    for stopper in stoppers:
        stopper.join()
    echo("scheduler stopped")
