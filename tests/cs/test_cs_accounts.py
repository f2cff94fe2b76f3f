"""CS suspends and reinstates accounts: a suspended account cannot log in and its sessions die; staff of equal or
higher rank are out of reach (403); audited."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from groupbuy.accounts.enums import Role
from tests.conftest import DEFAULT_PASSWORD
from tests.cs.conftest import World, audit_count
from tests.factories.accounts import bearer, make_user


def test_suspended_account_loses_its_sessions_and_cannot_log_in(client: FlaskClient, world: World) -> None:
    with world.app.app_context():
        user = make_user(phone="13912340000")
        user_id, headers = user.id, bearer(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    done = client.post(f"/api/v1/cs/accounts/{user_id}/suspend", json={"reason": "刷单"}, headers=world.cs)
    assert done.status_code == 200 and done.json["status"] == "suspended"
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    login = client.post("/api/v1/auth/login", json={"login": "13912340000", "password": DEFAULT_PASSWORD})
    assert login.status_code == 403 and login.json["code"] == "account_suspended"

    back = client.post(f"/api/v1/cs/accounts/{user_id}/reinstate", json={"reason": "申诉通过"}, headers=world.cs)
    assert back.status_code == 200 and back.json["status"] == "active"
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # old sessions stay dead
    again = client.post("/api/v1/auth/login", json={"login": "13912340000", "password": DEFAULT_PASSWORD})
    assert again.status_code == 200
    assert audit_count(world.app) == 2


@pytest.mark.parametrize("role", [Role.CS, Role.ADMIN])
def test_cs_cannot_suspend_equal_or_higher_rank(client: FlaskClient, world: World, role: Role) -> None:
    with world.app.app_context():
        staff_id = make_user(role).id
    refused = client.post(f"/api/v1/cs/accounts/{staff_id}/suspend", json={"reason": "x"}, headers=world.cs)
    assert refused.status_code == 403 and refused.json["code"] == "outranked"
    mine = client.post(f"/api/v1/cs/accounts/{world.cs_id}/suspend", json={"reason": "x"}, headers=world.cs)
    assert mine.status_code == 403
    assert audit_count(world.app) == 0


def test_admin_may_suspend_cs_and_a_leader(client: FlaskClient, world: World) -> None:
    assert (
        client.post(f"/api/v1/cs/accounts/{world.cs_id}/suspend", json={"reason": "x"}, headers=world.admin).status_code
        == 200
    )
    assert client.get("/api/v1/cs/orders", headers=world.cs).status_code == 401
    leader = client.post(
        f"/api/v1/cs/accounts/{world.leader_user_id}/suspend", json={"reason": "x"}, headers=world.admin
    )
    assert leader.status_code == 200
    assert (
        client.post("/api/v1/cs/accounts/999999/suspend", json={"reason": "x"}, headers=world.admin).status_code == 404
    )
