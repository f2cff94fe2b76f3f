"""Credit (seed 001): identity, licences with caps, seniority years, reviews; score = ledger sum."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.db import db
from groupbuy.errors import Invalid, NotFound
from groupbuy.leaders import credit
from groupbuy.leaders.models import Leader, LeaderCreditEvent
from groupbuy.leaders.service import record_review_credit, refresh_all_credit, refresh_credit
from tests.factories.accounts import bearer, make_user
from tests.factories.leaders import application_payload, make_leader

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _ledger_sum(leader_id: int) -> int:
    total = select(func.coalesce(func.sum(LeaderCreditEvent.points), 0)).where(LeaderCreditEvent.leader_id == leader_id)
    return int(db.session.scalar(total) or 0)


def _stored_score(leader_id: int) -> int:
    return int(db.session.scalar(select(Leader.credit_score).where(Leader.id == leader_id)) or 0)


def _licences(food: int, other: int) -> list[dict[str, str]]:
    return [{"kind": "food_business", "url": f"https://files.example.com/food-{i}.jpg"} for i in range(food)] + [
        {"kind": "other", "url": f"https://files.example.com/other-{i}.jpg"} for i in range(other)
    ]


def _approved_leader(client: FlaskClient, app: Flask, licences: list[dict[str, str]]) -> int:
    with app.app_context():
        applicant, admin = bearer(make_user()), bearer(make_user(Role.ADMIN))
    with clock.frozen(T0):
        applied = client.post(
            "/api/v1/leader-applications", json=application_payload(licences=licences), headers=applicant
        )
        approved = client.post(f"/api/v1/admin/leader-applications/{applied.json['id']}/approve", headers=admin)
    assert approved.status_code == 200
    return int(approved.json["id"])


@pytest.mark.parametrize(
    ("food", "other", "expected"),
    [
        (0, 0, 10),  # identity only
        (1, 0, 15),
        (2, 0, 15),  # food-business licences: 5 points, max 5
        (0, 3, 16),
        (0, 5, 20),
        (0, 7, 20),  # other certificates: 2 each, max 10
        (3, 7, 25),
    ],
)
def test_approval_credits_identity_and_capped_licences(
    client: FlaskClient, app: Flask, food: int, other: int, expected: int
) -> None:
    leader_id = _approved_leader(client, app, _licences(food, other))
    body = client.get(f"/api/v1/leaders/{leader_id}/credit").json
    assert body["score"] == expected
    assert sum(line["points"] for line in body["breakdown"]) == expected
    assert body["breakdown"][0] == {"kind": "identity", "points": 10, "ref": "identity", "at": T0.isoformat()}
    food_points = [line["points"] for line in body["breakdown"] if line["kind"] == "food_licence"]
    other_points = [line["points"] for line in body["breakdown"] if line["kind"] == "other_licence"]
    assert sum(food_points) == min(5 * food, 5)
    assert sum(other_points) == min(2 * other, 10)
    assert client.get(f"/api/v1/leaders/{leader_id}").json["credit"] == body
    assert client.get(f"/api/v1/leaders/{leader_id}").json["credit_score"] == expected
    with app.app_context():
        assert _stored_score(leader_id) == _ledger_sum(leader_id) == expected


def test_review_points_and_idempotency(app: Flask, ctx: None) -> None:
    leader = make_leader()
    assert record_review_credit(leader_id=leader.id, review_id=1, stars=5, now=T0) == 1
    assert record_review_credit(leader_id=leader.id, review_id=2, stars=4, now=T0) == 1
    assert record_review_credit(leader_id=leader.id, review_id=3, stars=3, now=T0) == 1
    assert record_review_credit(leader_id=leader.id, review_id=4, stars=2, now=T0) == 1
    assert record_review_credit(leader_id=leader.id, review_id=5, stars=1, now=T0) == 1
    assert _stored_score(leader.id) == 2 + 2 + 0 - 2 - 2
    assert record_review_credit(leader_id=leader.id, review_id=1, stars=5, now=T0) == 0  # written twice: no-op
    assert record_review_credit(leader_id=leader.id, review_id=6, stars=5, now=T0) == 1
    assert _stored_score(leader.id) == _ledger_sum(leader.id) == 2
    refs = db.session.scalars(select(LeaderCreditEvent.ref).order_by(LeaderCreditEvent.id)).all()
    assert refs == [f"review-{i}" for i in range(1, 7)]


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_review_stars_out_of_range(app: Flask, ctx: None, stars: int) -> None:
    leader = make_leader()
    with pytest.raises(Invalid):
        record_review_credit(leader_id=leader.id, review_id=1, stars=stars, now=T0)
    assert _ledger_sum(leader.id) == 0


def test_review_credit_for_an_unknown_leader(app: Flask, ctx: None) -> None:
    with pytest.raises(NotFound):
        record_review_credit(leader_id=999_999, review_id=1, stars=5, now=T0)


def test_seniority_years_are_added_once(app: Flask, ctx: None) -> None:
    leader = make_leader(active_since=T0)
    assert refresh_credit(leader_id=leader.id, now=T0 + timedelta(days=364)) == 0
    assert refresh_credit(leader_id=leader.id, now=datetime(2027, 3, 1, 9, 0, tzinfo=UTC)) == 0  # the first year
    assert refresh_credit(leader_id=leader.id, now=datetime(2028, 3, 1, 8, 59, tzinfo=UTC)) == 0
    assert refresh_credit(leader_id=leader.id, now=datetime(2028, 3, 1, 9, 0, tzinfo=UTC)) == 1
    assert _stored_score(leader.id) == 20
    late = datetime(2030, 6, 1, tzinfo=UTC)  # a run missed for years catches up
    assert refresh_credit(leader_id=leader.id, now=late) == 2
    assert refresh_credit(leader_id=leader.id, now=late) == 0
    events = db.session.scalars(select(LeaderCreditEvent).order_by(LeaderCreditEvent.at)).all()
    assert [(e.ref, e.points, e.at) for e in events] == [
        ("year-2", 20, datetime(2028, 3, 1, 9, 0, tzinfo=UTC)),
        ("year-3", 20, datetime(2029, 3, 1, 9, 0, tzinfo=UTC)),
        ("year-4", 20, datetime(2030, 3, 1, 9, 0, tzinfo=UTC)),
    ]
    assert _stored_score(leader.id) == _ledger_sum(leader.id) == 60


def test_refresh_all_credit_sweeps_old_leaders(app: Flask, ctx: None) -> None:
    old = make_leader(active_since=datetime(2020, 1, 1, tzinfo=UTC))
    young = make_leader(active_since=datetime(2026, 1, 1, tzinfo=UTC))
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert refresh_all_credit(now=now) == 5  # 2020 + 6 full years: year-2 .. year-6
    assert refresh_all_credit(now=now) == 0
    assert _stored_score(old.id) == 100
    assert _stored_score(young.id) == 0


def test_leap_day_anniversary() -> None:
    start = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert credit.full_years(start, datetime(2026, 2, 28, 11, 59, tzinfo=UTC)) == 1
    assert credit.full_years(start, datetime(2026, 2, 28, 12, 0, tzinfo=UTC)) == 2
    assert credit.credited_years(start, datetime(2028, 2, 29, 12, 0, tzinfo=UTC)) == [2, 3, 4]


def test_score_equals_the_ledger_after_mixed_events(client: FlaskClient, app: Flask) -> None:
    leader_id = _approved_leader(client, app, _licences(1, 2))
    with app.app_context():
        for review_id, stars in enumerate([5, 1, 1, 3, 4, 2], start=1):
            record_review_credit(leader_id=leader_id, review_id=review_id, stars=stars, now=T0)
        refresh_credit(leader_id=leader_id, now=T0 + timedelta(days=3 * 366))
        assert _stored_score(leader_id) == _ledger_sum(leader_id) == 10 + 5 + 4 + (2 - 2 - 2 + 0 + 2 - 2) + 40
    body = client.get(f"/api/v1/leaders/{leader_id}/credit").json
    assert body["score"] == sum(line["points"] for line in body["breakdown"]) == 57
    assert [line["kind"] for line in body["breakdown"]][:4] == [
        "identity",
        "food_licence",
        "other_licence",
        "other_licence",
    ]


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_ledger_writes_keep_the_score_equal_to_the_sum(app: Flask, round_: int) -> None:
    with app.app_context():
        leader_id = make_leader().id
    barrier = threading.Barrier(6)

    def review(review_id: int) -> None:
        with app.app_context():
            barrier.wait()
            record_review_credit(leader_id=leader_id, review_id=review_id, stars=5, now=T0)
            db.session.remove()

    threads = [threading.Thread(target=review, args=(i % 5,)) for i in range(6)]  # review 0 written twice
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        assert _ledger_sum(leader_id) == 10
        assert _stored_score(leader_id) == 10
