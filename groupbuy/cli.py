"""`flask groupbuy ...`: operator commands. Thin: each calls services."""

from __future__ import annotations

import click
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
@click.option("--password", required=True, help="6-20 chars, two of upper/lower/digit/punctuation")
@click.option("--nickname", default="")
@with_appcontext
def create_user_command(
    roles: tuple[str, ...], phone: str | None, email: str | None, password: str, nickname: str
) -> None:
    """Create a user non-interactively (for scripts)."""
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
@with_appcontext
def demo_data_command() -> None:
    """Load demo accounts (idempotent) and print their logins."""
    from groupbuy.demo import load_demo_data  # noqa: PLC0415 - demo code only loads when asked for

    for line in load_demo_data(now=clock.now(), echo=click.echo):
        click.echo(line)
