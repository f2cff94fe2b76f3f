"""`flask groupbuy ...`: operator commands. Thin: each calls services."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.service import create_user
from groupbuy.common.fields import mask_target
from groupbuy.errors import DomainError


@click.group("groupbuy")
def groupbuy_cli() -> None:
    """groupbuy operator commands."""


@groupbuy_cli.command("create-user")
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]), default=["shopper"])
@click.option("--phone")
@click.option("--email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="6-20 chars, two of upper/lower/digit/punctuation (asked for when not given)",
)
@click.option("--nickname", default="")
@with_appcontext
def create_user_command(
    roles: tuple[str, ...], phone: str | None, email: str | None, password: str, nickname: str
) -> None:
    """Create a user (`make user ROLE=cs PHONE=...`); the password is asked for unless --password is given."""
    try:
        user = create_user(
            phone=phone,
            email=email,
            password=password,
            roles=[Role(r) for r in roles],
            nickname=nickname or mask_target(phone or email or ""),
            now=clock.now(),
        )
    except DomainError as exc:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.errors or {}).items())
        raise click.ClickException(f"{exc.code} {details}".strip()) from exc
    click.echo(f"created user {user.id} with roles {', '.join(sorted(r.value for r in user.role_names))}")


@groupbuy_cli.command("demo-data")
@click.option("--now", "at", help="ISO 8601 with offset (default: the current time): load as if it were then")
@with_appcontext
def demo_data_command(at: str | None) -> None:
    """Load the demo city once, top its deals up when none is live (idempotent), and print the logins."""
    from groupbuy.demo import load_demo_data  # noqa: PLC0415 - demo code only loads when asked for

    now = _aware(at)
    with clock.frozen(now):
        for line in load_demo_data(now=now, echo=click.echo):
            click.echo(line)


@groupbuy_cli.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the job scheduler in this process until SIGTERM (the jobs of groupbuy/jobs/scheduler.py)."""
    from groupbuy.jobs.scheduler import serve  # noqa: PLC0415 - APScheduler loads only in the scheduler process

    serve(current_app._get_current_object(), echo=click.echo)  # type: ignore[attr-defined]  # the real app


def _aware(value: str | None) -> datetime:
    if value is None:
        return clock.now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not ISO 8601: {value}", param_hint="--now") from exc
    if parsed.tzinfo is None:
        raise click.BadParameter("give an offset, e.g. 2026-11-22T12:00:00+08:00", param_hint="--now")
    return parsed


@groupbuy_cli.command("run-job")
@click.argument("name")
@click.option("--now", "at", help="ISO 8601 with offset (default: the current time); the job sees this as now")
@with_appcontext
def run_job_command(name: str, at: str | None) -> None:
    """Run one scheduled job once, now, and print what it did (counts).

    With --now the run is simulated: the ledger row is dated at the real time and labelled with the given
    time (it never counts as the job's last success), and messages it queues are due at the real time.
    """
    from groupbuy.jobs.scheduler import JOBS_BY_ID, run_scheduled_job  # noqa: PLC0415

    if name not in JOBS_BY_ID:
        raise click.BadParameter(f"unknown job; one of: {', '.join(JOBS_BY_ID)}", param_hint="NAME")
    real_now = clock.now()
    now = _aware(at)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with clock.frozen(now):
        outcome = run_scheduled_job(app, JOBS_BY_ID[name], now, real_now=real_now if at is not None else None)
    if outcome.skipped:
        click.echo(f"{name}: skipped, another process holds its job lock")
        return
    label = " (simulated)" if at is not None else ""
    click.echo(f"{name} at {now.isoformat()}{label}: {json.dumps(outcome.counts, sort_keys=True)}")
    if outcome.errors:
        raise click.ClickException(f"{name} failed: {outcome.errors}")
