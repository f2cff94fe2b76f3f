"""Staff ranks: admin > cs > leader > shopper; nobody suspends or reinstates an equal or higher rank, or themselves."""

from __future__ import annotations

from itertools import product

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy.accounts.enums import RANKS, Role, UserStatus
from groupbuy.accounts.models import AuthToken, User
from groupbuy.db import db
from tests.conftest import DEFAULT_PASSWORD
from tests.factories.accounts import bearer, make_user

ROLES = [Role.SHOPPER, Role.LEADER, Role.CS, Role.ADMIN]
STAFF = {Role.CS, Role.ADMIN}


def _act(client: FlaskClient, action: str, user_id: int, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/admin/users/{user_id}/{action}", json={"reason": "测试"}, headers=headers)


@pytest.mark.parametrize("action", ["suspend", "reinstate"])
@pytest.mark.parametrize(("actor_role", "target_role"), list(product(ROLES, ROLES)))
def test_only_a_higher_staff_rank_may_act(
    client: FlaskClient, app: Flask, action: str, actor_role: Role, target_role: Role
) -> None:
    with app.app_context():
        target = make_user(target_role, suspended=action == "reinstate")
        target_id, target_status = target.id, target.status
        target_headers = None if action == "reinstate" else bearer(target)
        headers = bearer(make_user(actor_role))
    allowed = actor_role in STAFF and RANKS[actor_role] > RANKS[target_role]

    response = _act(client, action, target_id, headers)

    assert response.status_code == (200 if allowed else 403), (actor_role, target_role, response.json)
    if not allowed and actor_role in STAFF:
        assert response.json["code"] == "outranked"
    with app.app_context():
        status = db.session.get_one(User, target_id).status
        assert (status != target_status) is allowed
    if target_headers is not None and not allowed:  # a refused suspension revokes nothing
        assert client.get("/api/v1/me", headers=target_headers).status_code == 200


@pytest.mark.parametrize("role", sorted(STAFF))
def test_nobody_suspends_themselves(client: FlaskClient, app: Flask, role: Role) -> None:
    with app.app_context():
        me = make_user(role)
        my_id, headers = me.id, bearer(me)

    response = _act(client, "suspend", my_id, headers)

    assert response.status_code == 403
    assert response.json["code"] == "outranked"
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get_one(User, my_id).status is UserStatus.ACTIVE


def test_reinstatement_revives_no_token_but_the_user_logs_in_again(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        cs = make_user(Role.CS, phone="13800138000")
        cs_id, old_headers = cs.id, bearer(cs)
        admin = bearer(make_user(Role.ADMIN))

    assert _act(client, "suspend", cs_id, admin).status_code == 200
    assert client.get("/api/v1/me", headers=old_headers).status_code == 401
    assert _act(client, "reinstate", cs_id, admin).status_code == 200

    assert client.get("/api/v1/me", headers=old_headers).status_code == 401
    with app.app_context():
        assert None not in db.session.scalars(select(AuthToken.revoked_at).where(AuthToken.user_id == cs_id)).all()
    login = client.post("/api/v1/auth/login", json={"login": "13800138000", "password": DEFAULT_PASSWORD})
    assert login.status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.json['token']}"}).status_code == 200
