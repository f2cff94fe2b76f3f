"""`flask groupbuy create-user` and `demo-data`."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.db import db


def test_create_user_non_interactively(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(
        args=["groupbuy", "create-user", "--role", "admin", "--phone", "13700000000", "--password", "Admin12345"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == "13700000000"))
        assert user.role_names == {Role.ADMIN, Role.SHOPPER}
    login = client.post("/api/v1/auth/login", json={"login": "13700000000", "password": "Admin12345"})
    assert login.status_code == 200
    assert "admin" in login.json["user"]["roles"]


def test_create_user_reports_policy_errors(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["groupbuy", "create-user", "--phone", "13700000000", "--password", "weak"]
    )
    assert result.exit_code != 0
    assert "weak_password" in result.output


def test_demo_data_builds_a_city_once(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    from groupbuy.catalog.models import Deal
    from groupbuy.groups.models import Group
    from groupbuy.leaders.models import Leader

    runner = app.test_cli_runner()
    first = runner.invoke(args=["groupbuy", "demo-data"])
    second = runner.invoke(args=["groupbuy", "demo-data"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Demo city" in first.output
    assert "Demo city" not in second.output
    assert "Demo logins" in second.output
    with app.app_context():
        counts = [len(db.session.scalars(select(model)).all()) for model in (User, Leader, Deal, Group)]
        assert counts == [13, 10, 20, 32]
    login = client.post("/api/v1/auth/login", json={"login": "13800000003", "password": "Demo12345"})
    headers = {"Authorization": f"Bearer {login.json['token']}"}
    deals = client.get("/api/v1/deals?page_size=100", headers=headers).json
    assert deals["total"] == 20
    assert sum(1 for d in deals["items"] if d["group"] is not None) == 8
