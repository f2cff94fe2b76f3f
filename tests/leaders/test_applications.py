"""Leader applications: apply, one pending at a time, staff approve/reject, visibility, audit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User, UserRole
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.leaders.enums import ApplicationStatus, LeaderStatus
from groupbuy.leaders.models import Leader, LeaderApplication
from tests.factories.accounts import bearer, make_user
from tests.factories.leaders import application_payload, make_leader
from tests.rows import unchanged

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
APPLY = "/api/v1/leader-applications"
ADMIN_LIST = "/api/v1/admin/leader-applications"


def _approve(client: FlaskClient, headers: dict[str, str], application_id: int, **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"{ADMIN_LIST}/{application_id}/approve", json=body, headers=headers)


def _reject(client: FlaskClient, headers: dict[str, str], application_id: int, reason: str = "地址无法核实"):  # type: ignore[no-untyped-def]
    return client.post(f"{ADMIN_LIST}/{application_id}/reject", json={"reason": reason}, headers=headers)


@pytest.fixture
def people(app: Flask) -> dict[str, dict[str, str]]:
    """Bearer headers for an applicant, another shopper, a CS agent and an admin; user ids under "ids"."""
    with app.app_context():
        applicant, other, cs, admin = make_user(), make_user(), make_user(Role.CS), make_user(Role.ADMIN)
        return {
            "applicant": bearer(applicant),
            "other": bearer(other),
            "cs": bearer(cs),
            "admin": bearer(admin),
            "ids": {"applicant": str(applicant.id), "cs": str(cs.id), "admin": str(admin.id)},
        }


def test_apply_then_approve_makes_an_active_leader_with_the_role(
    client: FlaskClient, app: Flask, people: dict[str, dict[str, str]]
) -> None:
    with clock.frozen(T0):
        applied = client.post(APPLY, json=application_payload(), headers=people["applicant"])
    assert applied.status_code == 201
    assert applied.json["status"] == "pending"
    assert applied.json["phone"] == "138****5678"
    assert applied.json["licences"] == [{"kind": "food_business", "url": "https://files.example.com/licence-1.jpg"}]
    approve_at = T0 + timedelta(hours=3)
    with clock.frozen(approve_at):
        approved = _approve(client, people["cs"], applied.json["id"])
    assert approved.status_code == 200
    assert approved.json["status"] == "active"
    assert approved.json["commission_rate_bp"] == 1000
    user_id = int(people["ids"]["applicant"])
    with app.app_context():
        leader = db.session.scalar(select(Leader).where(Leader.user_id == user_id))
        assert leader is not None
        assert leader.id == approved.json["id"]
        assert leader.status is LeaderStatus.ACTIVE
        assert leader.identity_verified is True
        assert leader.active_since == approve_at
        assert (leader.pickup_point_name, leader.lat, leader.lng) == ("幸福小区 3 号楼便利店", 40.0, 116.4)
        assert (leader.real_name, leader.phone, leader.opening_hours) == ("李芳", "13812345678", "08:00-21:00")
        assert db.session.get(UserRole, (user_id, Role.LEADER)) is not None
        application = db.session.get(LeaderApplication, applied.json["id"])
        assert application is not None
        assert application.status is ApplicationStatus.APPROVED
        assert application.reviewed_at == approve_at
        assert application.reviewed_by == int(people["ids"]["cs"])
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "leader_application.approve"))
        assert entry is not None
        assert entry.actor_id == int(people["ids"]["cs"])
        assert entry.object_id == applied.json["id"]
        assert entry.before == {"status": "pending"}
        assert entry.after == {"status": "approved", "leader_id": leader.id, "commission_rate_bp": 1000}
    me = client.get("/api/v1/me", headers=people["applicant"])
    assert "leader" in me.json["roles"]
    assert client.get("/api/v1/leader/me", headers=people["applicant"]).status_code == 200


def test_approve_with_a_commission_rate(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    application_id = client.post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    too_high = _approve(client, people["admin"], application_id, commission_rate_bp=10_001)
    assert too_high.status_code == 422
    not_int = _approve(client, people["admin"], application_id, commission_rate_bp=12.5)
    assert not_int.status_code == 422
    approved = _approve(client, people["admin"], application_id, commission_rate_bp=800)
    assert approved.status_code == 200
    assert approved.json["commission_rate_bp"] == 800


def test_approve_without_a_body(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    application_id = client.post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    response = client.post(f"{ADMIN_LIST}/{application_id}/approve", headers=people["admin"])
    assert response.status_code == 200
    assert response.json["commission_rate_bp"] == 1000


def test_double_approve_is_409_and_changes_nothing(
    client: FlaskClient, app: Flask, people: dict[str, dict[str, str]]
) -> None:
    application_id = client.post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    assert _approve(client, people["cs"], application_id).status_code == 200
    again = _approve(client, people["admin"], application_id, commission_rate_bp=500)
    assert again.status_code == 409
    assert again.json["code"] == "application_not_pending"
    rejected_after = _reject(client, people["admin"], application_id)
    assert rejected_after.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Leader)) == 1
        assert db.session.scalar(select(Leader.commission_rate_bp)) == 1000
        application = db.session.get(LeaderApplication, application_id)
        assert application is not None
        assert application.status is ApplicationStatus.APPROVED
        assert application.reviewed_by == int(people["ids"]["cs"])


def test_reject_with_reason_then_apply_again(
    client: FlaskClient, app: Flask, people: dict[str, dict[str, str]]
) -> None:
    with clock.frozen(T0):
        application_id = client.post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    missing_reason = client.post(f"{ADMIN_LIST}/{application_id}/reject", json={}, headers=people["cs"])
    assert missing_reason.status_code == 422
    assert "reason" in missing_reason.json["errors"]
    rejected = _reject(client, people["cs"], application_id, reason="营业执照照片不清晰")
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected"
    assert rejected.json["reject_reason"] == "营业执照照片不清晰"
    mine = client.get("/api/v1/me/leader-application", headers=people["applicant"])
    assert (mine.json["status"], mine.json["reject_reason"]) == ("rejected", "营业执照照片不清晰")
    assert _approve(client, people["cs"], application_id).status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Leader)) == 0
        user_id = int(people["ids"]["applicant"])
        assert db.session.get(UserRole, (user_id, Role.LEADER)) is None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "leader_application.reject"))
        assert entry is not None
        assert (entry.reason, entry.before, entry.after) == (
            "营业执照照片不清晰",
            {"status": "pending"},
            {"status": "rejected"},
        )
    with clock.frozen(T0 + timedelta(days=1)):
        again = client.post(APPLY, json=application_payload(), headers=people["applicant"])
    assert again.status_code == 201
    latest = client.get("/api/v1/me/leader-application", headers=people["applicant"])
    assert (latest.json["id"], latest.json["status"]) == (again.json["id"], "pending")


def test_one_pending_application_at_a_time(client: FlaskClient, people: dict[str, dict[str, str]], app: Flask) -> None:
    assert client.post(APPLY, json=application_payload(), headers=people["applicant"]).status_code == 201
    with unchanged(app, LeaderApplication, AuditEntry):
        second = client.post(APPLY, json=application_payload(display_name="换个名字"), headers=people["applicant"])
    assert second.status_code == 409
    assert second.json["code"] == "application_pending"
    assert client.post(APPLY, json=application_payload(), headers=people["other"]).status_code == 201


def test_a_leader_cannot_apply_again(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        leader = make_leader()
        headers = bearer(db.session.get(User, leader.user_id))  # type: ignore[arg-type]
    response = client.post(APPLY, json=application_payload(), headers=headers)
    assert response.status_code == 409
    assert response.json["code"] == "already_leader"


def test_approving_for_someone_who_became_a_leader_meanwhile_is_409(
    client: FlaskClient, app: Flask, people: dict[str, dict[str, str]]
) -> None:
    application_id = client.post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    with app.app_context():
        make_leader(user_id=int(people["ids"]["applicant"]))
    response = _approve(client, people["admin"], application_id)
    assert response.status_code == 409
    assert response.json["code"] == "already_leader"
    with app.app_context():
        application = db.session.get(LeaderApplication, application_id)
        assert application is not None
        assert application.status is ApplicationStatus.PENDING  # the whole approval rolled back


def test_my_application_is_404_before_applying(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    assert client.get("/api/v1/me/leader-application", headers=people["applicant"]).status_code == 404


def test_another_users_application_is_not_visible(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    application_id = client.post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    assert client.get(f"{APPLY}/{application_id}", headers=people["applicant"]).status_code == 200
    hidden = client.get(f"{APPLY}/{application_id}", headers=people["other"])
    assert hidden.status_code == 404
    assert "real_name" not in hidden.json
    assert client.get("/api/v1/me/leader-application", headers=people["other"]).status_code == 404
    assert client.get(f"{APPLY}/{application_id}", headers=people["cs"]).status_code == 200
    assert client.get(f"{APPLY}/{application_id + 1}", headers=people["cs"]).status_code == 404


def test_shoppers_get_403_on_admin_routes(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    application_id = client.post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    shopper = people["applicant"]
    assert client.get(ADMIN_LIST, headers=shopper).status_code == 403
    assert _approve(client, shopper, application_id).status_code == 403
    assert _reject(client, shopper, application_id).status_code == 403
    for action in ("suspend", "reinstate"):
        response = client.post(f"/api/v1/admin/leaders/1/{action}", json={"reason": "x"}, headers=shopper)
        assert response.status_code == 403
    assert client.get(ADMIN_LIST).status_code == 401


def test_admin_list_filters_and_paginates(client: FlaskClient, app: Flask, people: dict[str, dict[str, str]]) -> None:
    with app.app_context():
        applicants = [bearer(make_user()) for _ in range(3)]
    ids = []
    for i, headers in enumerate(applicants):
        with clock.frozen(T0 + timedelta(minutes=i)):
            ids.append(client.post(APPLY, json=application_payload(), headers=headers).json["id"])
    _reject(client, people["cs"], ids[1])
    pending = client.get(f"{ADMIN_LIST}?status=pending&page_size=1", headers=people["cs"])
    assert pending.status_code == 200
    assert (pending.json["total"], pending.json["page_size"]) == (2, 1)
    assert [a["id"] for a in pending.json["items"]] == [ids[0]]  # oldest first
    second_page = client.get(f"{ADMIN_LIST}?status=pending&page_size=1&page=2", headers=people["cs"])
    assert [a["id"] for a in second_page.json["items"]] == [ids[2]]
    everything = client.get(ADMIN_LIST, headers=people["admin"])
    assert [a["id"] for a in everything.json["items"]] == ids
    assert all(a["phone"] == "138****5678" for a in everything.json["items"])
    assert client.get(f"{ADMIN_LIST}?status=maybe", headers=people["admin"]).status_code == 422


def test_unknown_or_server_owned_fields_are_422(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    for field, value in (("status", "approved"), ("credit_score", 999), ("user_id", 1), ("rating_bp", 10000)):
        response = client.post(APPLY, json=application_payload(**{field: value}), headers=people["applicant"])
        assert response.status_code == 422, field
        assert response.json["errors"] == {field: ["不支持该字段"]}
    licence_extra = application_payload(licences=[{"kind": "other", "url": "https://a.example.com/x", "points": 9}])
    assert client.post(APPLY, json=licence_extra, headers=people["applicant"]).status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345678901"),
        ("phone", "1381234567"),
        ("lat", 90.5),
        ("lat", -91),
        ("lng", 180.01),
        ("lat", "north"),
        ("lng", True),
        ("display_name", ""),
        ("opening_hours", "x" * 101),
        ("licences", [{"kind": "diploma", "url": "https://a.example.com/x"}]),
        ("licences", [{"kind": "other", "url": "ftp://a.example.com/x"}]),
        ("licences", [{"kind": "other", "url": "javascript:alert(1)"}]),
        ("licences", [{"kind": "other", "url": f"https://a.example.com/{i}"} for i in range(11)]),
    ],
)
def test_invalid_application_fields_are_422(
    client: FlaskClient, people: dict[str, dict[str, str]], field: str, value: object
) -> None:
    response = client.post(APPLY, json=application_payload(**{field: value}), headers=people["applicant"])
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_required_fields(client: FlaskClient, people: dict[str, dict[str, str]]) -> None:
    response = client.post(APPLY, json={}, headers=people["applicant"])
    assert response.status_code == 422
    required = {"display_name", "real_name", "phone", "pickup_point_name", "address", "lat", "lng", "opening_hours"}
    assert set(response.json["errors"]) == required
    without_licences = application_payload()
    del without_licences["licences"]
    accepted = client.post(APPLY, json=without_licences, headers=people["applicant"])
    assert accepted.status_code == 201
    assert accepted.json["licences"] == []


def test_applying_needs_a_token(client: FlaskClient) -> None:
    assert client.post(APPLY, json=application_payload()).status_code == 401


def test_approving_an_unknown_application_is_404(
    client: FlaskClient, people: dict[str, dict[str, str]], app: Flask
) -> None:
    with unchanged(app, LeaderApplication, Leader, UserRole, AuditEntry):
        assert _approve(client, people["admin"], 999_999).status_code == 404
        assert _reject(client, people["admin"], 999_999).status_code == 404


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_approvals_make_one_leader(app: Flask, people: dict[str, dict[str, str]], round_: int) -> None:
    application_id = app.test_client().post(APPLY, json=application_payload(), headers=people["applicant"]).json["id"]
    staff = [people["cs"], people["admin"], people["cs"], people["admin"]]
    barrier = threading.Barrier(len(staff))
    statuses: list[int] = []

    def approve(headers: dict[str, str]) -> None:
        barrier.wait()
        statuses.append(_approve(app.test_client(), headers, application_id).status_code)

    threads = [threading.Thread(target=approve, args=(h,)) for h in staff]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Leader)) == 1
        approvals = select(func.count()).where(AuditEntry.action == "leader_application.approve")
        assert db.session.scalar(approvals) == 1


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_applications_leave_one_pending(app: Flask, people: dict[str, dict[str, str]], round_: int) -> None:
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def apply() -> None:
        barrier.wait()
        statuses.append(
            app.test_client().post(APPLY, json=application_payload(), headers=people["applicant"]).status_code
        )

    threads = [threading.Thread(target=apply) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409, 409, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LeaderApplication)) == 1
