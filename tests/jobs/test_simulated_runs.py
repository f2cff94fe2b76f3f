"""`run-job --now <later>`: a simulated run. The ledger says so, and the messages it queues are not held back."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.db import db
from groupbuy.jobs import scheduler
from groupbuy.jobs.models import JobRun
from groupbuy.notifications.models import OutboxMessage
from tests.factories.accounts import bearer, make_user
from tests.factories.market import T0
from tests.factories.notifications import outbox_message
from tests.jobs.conftest import run

TOMORROW = T0 + timedelta(days=1)


@pytest.fixture
def queues_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """close_due_groups replaced by a job that queues one e-mail at the time it is given."""

    def job(now: datetime) -> dict[str, int]:
        outbox_message(now=now)
        return {"queued": 1}

    replacement = scheduler.ScheduledJob("close_due_groups", job, *scheduler._every(minutes=1))
    monkeypatch.setitem(scheduler.JOBS_BY_ID, "close_due_groups", replacement)


@pytest.mark.usefixtures("queues_a_message")
def test_a_run_dated_tomorrow_is_labelled_and_its_messages_are_due_now(
    app: Flask, runner: object, client: FlaskClient
) -> None:
    with app.app_context():
        earlier = outbox_message(now=TOMORROW + timedelta(hours=1))  # not from the run: queued for later on purpose
    with clock.frozen(T0):
        result = runner.invoke(args=["groupbuy", "run-job", "close_due_groups", "--now", TOMORROW.isoformat()])  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    assert "(simulated)" in result.output
    with app.app_context():
        row = db.session.scalars(select(JobRun)).one()
        assert row.simulated_now == TOMORROW
        assert row.started_at == T0  # dated at the real time
        queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id != earlier)).one()
        assert queued.next_attempt_at == T0  # due now, not tomorrow
        headers = bearer(make_user(Role.ADMIN))
    with clock.frozen(T0 + timedelta(seconds=5)):
        item = {i["job"]: i for i in client.get("/api/v1/admin/jobs", headers=headers).json["items"]}
    status = item["close_due_groups"]
    assert datetime.fromisoformat(status["last_run"]["simulated_now"]) == TOMORROW
    assert status["last_success_at"] is None and status["overdue"] is True  # a simulated run is no real success


@pytest.mark.usefixtures("queues_a_message")
def test_a_run_without_now_is_a_real_run(app: Flask, runner: object) -> None:
    with clock.frozen(T0):
        result = runner.invoke(args=["groupbuy", "run-job", "close_due_groups"])  # type: ignore[attr-defined]
    assert result.exit_code == 0 and "simulated" not in result.output
    run(app, "close_due_groups", T0)
    with app.app_context():
        assert [r.simulated_now for r in db.session.scalars(select(JobRun))] == [None, None]
