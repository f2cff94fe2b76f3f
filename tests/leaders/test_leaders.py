"""Suspension and reinstatement, the active-leader gate, public pages, choosing "my leader"."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.errors import Forbidden
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service import get_active_leader
from tests.factories.accounts import bearer, make_user
from tests.factories.leaders import make_leader

ADMIN_LEADERS = "/api/v1/admin/leaders"


@pytest.fixture
def cs(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user(Role.CS))


@pytest.fixture
def leader_headers(app: Flask) -> tuple[int, dict[str, str]]:
    """(leader id, the leader's bearer headers)."""
    with app.app_context():
        leader = make_leader(real_name="赵秘密", phone="13700001111")
        user = db.session.get(User, leader.user_id)
        assert user is not None
        return leader.id, bearer(user)


def _suspend(client: FlaskClient, headers: dict[str, str], leader_id: int, action: str = "suspend"):  # type: ignore[no-untyped-def]
    return client.post(f"{ADMIN_LEADERS}/{leader_id}/{action}", json={"reason": "多次被投诉"}, headers=headers)


def test_suspension_takes_effect_on_the_next_request(
    client: FlaskClient, app: Flask, cs: dict[str, str], leader_headers: tuple[int, dict[str, str]]
) -> None:
    leader_id, headers = leader_headers
    before = client.get("/api/v1/leader/me", headers=headers)
    assert before.status_code == 200
    assert before.json["id"] == leader_id
    assert before.json["status"] == "active"
    assert before.json["phone"] == "137****1111"
    suspended = _suspend(client, cs, leader_id)
    assert suspended.status_code == 200
    assert suspended.json["status"] == "suspended"
    refused = client.get("/api/v1/leader/me", headers=headers)  # same token, next request
    assert refused.status_code == 403
    assert refused.json["code"] == "leader_suspended"
    reinstated = _suspend(client, cs, leader_id, action="reinstate")
    assert reinstated.status_code == 200
    assert client.get("/api/v1/leader/me", headers=headers).status_code == 200
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "leader").order_by(AuditEntry.id)
        )
        assert [(e.action, e.before, e.after, e.reason) for e in entries] == [
            ("leader.suspend", {"status": "active"}, {"status": "suspended"}, "多次被投诉"),
            ("leader.reinstate", {"status": "suspended"}, {"status": "active"}, "多次被投诉"),
        ]


def test_suspend_twice_and_reinstate_an_active_leader_are_409(
    client: FlaskClient, app: Flask, cs: dict[str, str], leader_headers: tuple[int, dict[str, str]]
) -> None:
    leader_id, _ = leader_headers
    reinstate_active = _suspend(client, cs, leader_id, action="reinstate")
    assert reinstate_active.status_code == 409
    assert reinstate_active.json["code"] == "leader_not_suspended"
    assert _suspend(client, cs, leader_id).status_code == 200
    again = _suspend(client, cs, leader_id)
    assert again.status_code == 409
    assert again.json["code"] == "leader_not_active"
    assert _suspend(client, cs, 999_999).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Leader.status).where(Leader.id == leader_id)) is LeaderStatus.SUSPENDED
        suspensions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "leader")).all()
        assert suspensions == ["leader.suspend"]


def test_suspension_needs_a_reason(
    client: FlaskClient, cs: dict[str, str], leader_headers: tuple[int, dict[str, str]]
) -> None:
    leader_id, _ = leader_headers
    response = client.post(f"{ADMIN_LEADERS}/{leader_id}/suspend", json={}, headers=cs)
    assert response.status_code == 422
    assert "reason" in response.json["errors"]


def test_leader_endpoint_refuses_shoppers_and_leader_role_without_a_leader(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        shopper = bearer(make_user())
        role_only = bearer(make_user(Role.LEADER))
    assert client.get("/api/v1/leader/me", headers=shopper).status_code == 403
    response = client.get("/api/v1/leader/me", headers=role_only)
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_get_active_leader_gate(app: Flask, ctx: None) -> None:
    active = make_leader()
    suspended = make_leader(suspended=True)
    assert get_active_leader(user_id=active.user_id).id == active.id
    with pytest.raises(Forbidden) as refused:
        get_active_leader(user_id=suspended.user_id)
    assert refused.value.code == "leader_suspended"
    with pytest.raises(Forbidden) as not_leader:
        get_active_leader(user_id=make_user().id)
    assert not_leader.value.code == "forbidden"


def test_public_leader_page_hides_private_fields(
    client: FlaskClient, leader_headers: tuple[int, dict[str, str]]
) -> None:
    leader_id, _ = leader_headers
    response = client.get(f"/api/v1/leaders/{leader_id}")
    assert response.status_code == 200
    body = response.json
    assert body["id"] == leader_id
    assert body["pickup_point_name"].endswith("自提点")
    assert body["credit"] == {"score": 0, "breakdown": []}
    for private in ("real_name", "phone", "user_id", "commission_rate_bp"):
        assert private not in body
    assert "赵秘密" not in response.get_data(as_text=True)
    assert "137****1111" not in response.get_data(as_text=True)


def test_public_page_of_a_suspended_or_unknown_leader_is_404(
    client: FlaskClient, cs: dict[str, str], leader_headers: tuple[int, dict[str, str]]
) -> None:
    leader_id, _ = leader_headers
    _suspend(client, cs, leader_id)
    assert client.get(f"/api/v1/leaders/{leader_id}").status_code == 404
    assert client.get(f"/api/v1/leaders/{leader_id}/credit").status_code == 404
    assert client.get("/api/v1/leaders/999999").status_code == 404


def test_choose_my_leader(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        shopper = make_user()
        headers = bearer(shopper)
        leader = make_leader()
    assert client.get("/api/v1/me", headers=headers).json["current_leader_id"] is None
    assert client.get("/api/v1/me/leader", headers=headers).status_code == 404
    chosen = client.put("/api/v1/me/leader", json={"leader_id": leader.id}, headers=headers)
    assert chosen.status_code == 200
    assert chosen.json["id"] == leader.id
    assert "real_name" not in chosen.json
    assert client.get("/api/v1/me", headers=headers).json["current_leader_id"] == leader.id
    assert client.get("/api/v1/me/leader", headers=headers).json["id"] == leader.id
    with app.app_context():
        assert db.session.scalar(select(User.current_leader_id).where(User.id == shopper.id)) == leader.id


def test_a_suspended_or_unknown_leader_cannot_be_chosen(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        shopper = make_user()
        headers = bearer(shopper)
        current = make_leader()
        suspended = make_leader(suspended=True)
    assert client.put("/api/v1/me/leader", json={"leader_id": current.id}, headers=headers).status_code == 200
    for leader_id in (suspended.id, 999_999):
        response = client.put("/api/v1/me/leader", json={"leader_id": leader_id}, headers=headers)
        assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(User.current_leader_id).where(User.id == shopper.id)) == current.id


@pytest.mark.parametrize(
    "body", [{}, {"leader_id": "1"}, {"leader_id": 0}, {"leader_id": 1.5}, {"leader_id": 1, "x": 1}]
)
def test_choose_my_leader_validates_the_body(client: FlaskClient, app: Flask, body: dict[str, object]) -> None:
    with app.app_context():
        headers = bearer(make_user())
    assert client.put("/api/v1/me/leader", json=body, headers=headers).status_code == 422


def test_my_leader_is_404_once_suspended(client: FlaskClient, app: Flask, cs: dict[str, str]) -> None:
    with app.app_context():
        headers = bearer(make_user())
        leader = make_leader()
    client.put("/api/v1/me/leader", json={"leader_id": leader.id}, headers=headers)
    _suspend(client, cs, leader.id)
    assert client.get("/api/v1/me/leader", headers=headers).status_code == 404


def test_choosing_needs_a_token(client: FlaskClient) -> None:
    assert client.put("/api/v1/me/leader", json={"leader_id": 1}).status_code == 401
