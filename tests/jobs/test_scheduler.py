"""The trigger table and the scheduler process: web workers start none; every job is safe to run twice."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask
from sqlalchemy import func, select

import groupbuy
from groupbuy import create_app
from groupbuy.db import db, dispose_engines
from groupbuy.jobs import scheduler
from groupbuy.jobs.models import JobLock, JobRun
from groupbuy.notifications.enums import OutboxStatus
from groupbuy.notifications.models import OutboxMessage
from groupbuy.orders.enums import OrderEvent
from groupbuy.orders.service import transition
from tests.factories.market import T0, Shop
from tests.factories.notifications import outbox_message
from tests.fakes.senders import install_recording_senders
from tests.jobs.conftest import pay, place, run

ROOT = Path(__file__).resolve().parents[2]


def test_the_web_app_starts_no_scheduler_and_no_thread(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **k: started.append(self))
    before = threading.active_count()
    app = create_app({"DATABASE_URL": database_url, "ENV": "test", "METRICS_DISABLED": True})
    assert app.test_client().get("/healthz").status_code == 200
    assert started == []
    assert threading.active_count() == before
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name or "ThreadPool" in t.name]
    with app.app_context():
        dispose_engines()


def test_the_scheduler_is_built_from_the_table_with_safe_defaults(app: Flask) -> None:
    built = scheduler.build_scheduler(app)
    assert str(built.timezone) == "Asia/Shanghai"
    defaults = built._job_defaults  # the settings it was built with
    assert defaults["coalesce"] is True and defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] >= 300
    assert {job.id for job in built.get_jobs()} == {job.id for job in scheduler.JOBS}
    assert len(scheduler.JOBS_BY_ID) == len(scheduler.JOBS)


def _work_for_every_job(shop: Shop, app: Flask) -> None:
    """Something due for each job at cutoff + 8 days."""
    deal = shop.deal(min_group_quantity=1)
    received = place(app, shop.shopper(), deal)
    pay(app, received)
    with app.app_context():
        for event in (OrderEvent.CONFIRM, OrderEvent.STOCK, OrderEvent.SHIP, OrderEvent.ARRIVE):
            transition(order_id=received, event=event, actor="leader:1", now=T0)
        transition(order_id=received, event=OrderEvent.PICK_UP, actor="leader:1", now=T0)
    confirmed = place(app, shop.shopper(), deal)  # confirmed, its pickup date long due: dispatched
    waiting = place(app, shop.shopper(), deal)  # arrived, never picked up: reminded and flagged
    for order_id in (confirmed, waiting):
        pay(app, order_id)
    with app.app_context():
        transition(order_id=confirmed, event=OrderEvent.CONFIRM, actor="leader:1", now=T0)
        for event in (OrderEvent.CONFIRM, OrderEvent.SHIP, OrderEvent.ARRIVE):
            transition(order_id=waiting, event=event, actor="leader:1", now=T0)
    place(app, shop.shopper(), deal)  # its payment window ends long before
    other = shop.deal(min_group_quantity=5)
    pay(app, place(app, shop.shopper(), other))  # this group fails: refund due
    with app.app_context():
        outbox_message(now=T0)


@pytest.mark.parametrize("job", [job.id for job in scheduler.JOBS])
def test_every_job_run_twice_with_the_same_now_does_nothing_the_second_time(job: str, shop: Shop, app: Flask) -> None:
    install_recording_senders(app)
    _work_for_every_job(shop, app)
    now = shop.cutoff + timedelta(days=8)
    run(app, job, now)
    second = run(app, job, now)
    assert set(second.values()) <= {0}, second
    with app.app_context():
        runs = db.session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)).all()
        assert [(r.errors, r.items_done) for r in runs][1:] == [(None, 0)]
        assert all(r.finished_at is not None and r.started_at == now for r in runs)


def test_my_jobs_found_work_in_that_world(shop: Shop, app: Flask) -> None:
    install_recording_senders(app)
    _work_for_every_job(shop, app)
    now = shop.cutoff + timedelta(days=8)
    assert run(app, "expire_unpaid_orders", now) == {"orders_expired": 1}
    assert run(app, "close_due_groups", now)["orders_refunding"] == 1
    assert run(app, "auto_confirm_receipt", now) == {"orders_completed": 1}
    assert run(app, "dispatch_due_orders", now) == {"shipments": 1, "orders_shipped": 1}
    assert run(app, "handle_unclaimed_goods", now) == {"reminded": 1, "flagged": 1}
    assert run(app, "deliver_notifications", now)["sent"] >= 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)) == 0


def test_run_job_prints_what_it_did_and_refuses_bad_input(runner: object, app: Flask) -> None:
    result = runner.invoke(args=["groupbuy", "run-job", "expire_unpaid_orders", "--now", "2026-11-22T12:00:00+08:00"])  # type: ignore[attr-defined]
    assert result.exit_code == 0
    expected = 'expire_unpaid_orders at 2026-11-22T12:00:00+08:00 (simulated): {"orders_expired": 0}'
    assert result.output.strip() == expected
    naive = runner.invoke(args=["groupbuy", "run-job", "expire_unpaid_orders", "--now", "2026-11-22T12:00:00"])  # type: ignore[attr-defined]
    assert naive.exit_code != 0 and "offset" in naive.output
    unknown = runner.invoke(args=["groupbuy", "run-job", "make_coffee"])  # type: ignore[attr-defined]
    assert unknown.exit_code != 0 and "close_due_groups" in unknown.output


def test_a_failing_job_is_rolled_back_and_recorded(app: Flask, runner: object, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(now: object) -> dict[str, int]:
        db.session.add(JobLock(job="half-done"))  # written inside the run, then the job fails
        db.session.flush()
        raise RuntimeError("supplier feed down for 13812345678")

    job = scheduler.ScheduledJob("expire_unpaid_orders", explode, *scheduler._every(minutes=1))
    monkeypatch.setitem(scheduler.JOBS_BY_ID, "expire_unpaid_orders", job)
    result = runner.invoke(args=["groupbuy", "run-job", "expire_unpaid_orders"])  # type: ignore[attr-defined]
    assert result.exit_code == 1 and "RuntimeError" in result.output
    with app.app_context():
        run_row = db.session.scalars(select(JobRun)).one()
        assert run_row.errors is not None and "RuntimeError: supplier feed down" in run_row.errors
        assert "13812345678" not in run_row.errors
        assert run_row.finished_at is not None
        assert db.session.get(JobLock, "half-done") is None


def test_the_sqlite_job_lock_lets_one_runner_in(app: Flask) -> None:
    from groupbuy.jobs.service import claim_job_lock, needs_job_lock, release_job_lock

    with app.app_context():
        if not needs_job_lock():
            pytest.skip("PostgreSQL claims rows instead")
        assert claim_job_lock(job="close_due_groups", holder="a", now=T0)
        assert not claim_job_lock(job="close_due_groups", holder="b", now=T0 + timedelta(minutes=1))
        outcome = scheduler.run_scheduled_job(app, scheduler.JOBS_BY_ID["close_due_groups"], T0)
        assert outcome.skipped
        assert claim_job_lock(job="close_due_groups", holder="b", now=T0 + timedelta(hours=1))  # lease ran out
        release_job_lock(job="close_due_groups", holder="b")
        assert claim_job_lock(job="close_due_groups", holder="c", now=T0)


@pytest.mark.slow
def test_the_scheduler_process_runs_jobs_and_stops_cleanly_on_sigterm(app: Flask, database_url: str) -> None:
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "GROUPBUY_DATABASE_URL": database_url,
        "GROUPBUY_ENV": "test",
        "GROUPBUY_LOG_LEVEL": "WARNING",
        "GROUPBUY_METRICS_DISABLED": "true",
    }
    flask = str(Path(sys.executable).with_name("flask"))
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [flask, "groupbuy", "scheduler"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # blocks until the process writes; no sleeping
            lines.append(line)
            if "scheduler running" in line:
                break
        assert "close_due_groups" in lines[-1] and "Asia/Shanghai" in lines[-1]
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "scheduler stopped" in output
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(JobRun.finished_at.is_(None))) == 0


def _job_modules() -> list[ModuleType]:
    """Every domain's jobs.py: where job functions are written."""
    return [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(groupbuy.__path__, "groupbuy.")
        if m.name.endswith(".jobs")
    ]


def test_every_job_function_written_is_in_the_trigger_table() -> None:
    written = {
        f"{module.__name__}.{name}"
        for module in _job_modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    scheduled = {f"{job.function.__module__}.{job.function.__name__}" for job in scheduler.JOBS}
    assert written == scheduled  # a job function not scheduled never runs; a scheduled one lives in a jobs.py
    assert len(written) >= 10


# Tables whose rows expire, and the job that deletes them once nothing needs them any more.
PURGED_BY = {
    "idempotency_keys": "purge_idempotency_keys",
    "auth_tokens": "purge_spent_credentials",
    "verification_codes": "purge_spent_credentials",
}
# Tables with an expiry that is not the row's end: the row is overwritten or kept for good.
NOT_PURGED = {
    "payments": "expires_at is when the attempt stops being payable; payments are kept for accounting",
    "wechat_access_tokens": "one row per appid, overwritten by each refresh",
}


def test_every_expiring_table_is_purged_by_a_scheduled_job() -> None:
    expiring = {table.name for table in db.metadata.sorted_tables if "expires_at" in table.columns}
    assert expiring == set(PURGED_BY) | set(NOT_PURGED)
    assert set(PURGED_BY.values()) <= set(scheduler.JOBS_BY_ID)
    assert "prune_payment_notifications" in scheduler.JOBS_BY_ID  # payment_notifications: kept for a retention
