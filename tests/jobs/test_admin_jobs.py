"""GET /api/v1/admin/jobs: the latest run per job, and which jobs are overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.jobs import scheduler
from tests.factories.accounts import bearer, make_user
from tests.factories.market import T0
from tests.jobs.conftest import run


def _headers(app: Flask, *roles: Role) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user(*roles))


def _jobs(client: FlaskClient, headers: dict[str, str]) -> dict[str, dict]:  # type: ignore[type-arg]
    response = client.get("/api/v1/admin/jobs", headers=headers)
    assert response.status_code == 200, response.json
    return {item["job"]: item for item in response.json["items"]}


def test_overdue_until_a_successful_run_within_twice_the_interval(app: Flask, client: FlaskClient) -> None:
    admin = _headers(app, Role.ADMIN)
    with clock.frozen(T0):
        jobs = _jobs(client, admin)
    assert set(jobs) == set(scheduler.JOBS_BY_ID)
    assert all(item["overdue"] and item["last_run"] is None for item in jobs.values())
    assert jobs["close_due_groups"]["every_seconds"] == 60

    run(app, "close_due_groups", T0)
    with clock.frozen(T0 + timedelta(minutes=2)):
        fresh = _jobs(client, admin)["close_due_groups"]
    assert fresh["overdue"] is False
    assert fresh["last_run"]["errors"] is None and fresh["last_run"]["items_done"] == 0
    assert fresh["last_run"]["counts"]["groups_failed"] == 0
    assert fresh["last_success_at"].startswith("2026-11-22T02:00:00")
    with clock.frozen(T0 + timedelta(minutes=2, seconds=1)):
        assert _jobs(client, admin)["close_due_groups"]["overdue"] is True


def test_a_failed_run_is_shown_and_does_not_count_as_success(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(now: object) -> dict[str, int]:
        raise RuntimeError("provider down")

    job = scheduler.ScheduledJob("deliver_notifications", broken, *scheduler._every(seconds=30))
    outcome = scheduler.run_scheduled_job(app, job, T0)
    assert outcome.errors == "RuntimeError: provider down"
    with clock.frozen(T0 + timedelta(seconds=1)):
        item = _jobs(client, _headers(app, Role.CS))["deliver_notifications"]
    assert item["last_run"]["errors"] == "RuntimeError: provider down"
    assert item["overdue"] is True and item["last_success_at"] is None


def test_only_admin_and_cs_see_jobs(app: Flask, client: FlaskClient) -> None:
    assert client.get("/api/v1/admin/jobs").status_code == 401
    for roles, status in (((), 403), ((Role.LEADER,), 403), ((Role.CS,), 200), ((Role.ADMIN,), 200)):
        assert client.get("/api/v1/admin/jobs", headers=_headers(app, *roles)).status_code == status
