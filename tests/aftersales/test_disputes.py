"""Disputes: the job escalates unanswered requests after 48 h (injected clock, safe twice); CS's queue by SLA in
working hours; only CS reaches /cs/ routes; the decision refunds within what is refundable, is audited with
before/after, and a leader-responsible refund is deducted from the leader's earnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy.aftersales.models import AfterSaleRequest
from groupbuy.aftersales.service import add_working_hours
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.orders.models import LeaderDeduction, OrderLine
from tests.aftersales.conftest import SOON, act, ask, line_ids, read, received_order
from tests.factories.desk import Desk
from tests.factories.market import Shop
from tests.jobs.conftest import run

JOB = "escalate_unanswered_after_sales"


def _pending(shop: Shop, app: Flask, client: FlaskClient, *, price_fen: int = 1000, quantity: int = 1) -> tuple:
    deal = shop.deal(price_fen=price_fen)
    user = shop.shopper()
    order_id = received_order(app, user, {deal: quantity})
    (line,) = line_ids(app, order_id)
    opened = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 400)
    assert opened.status_code == 201, opened.json
    return user, order_id, line, opened.json["id"]


def test_the_job_escalates_unanswered_requests_after_48_hours_once(shop: Shop, app: Flask, client: FlaskClient) -> None:
    _, _, _, request_id = _pending(shop, app, client)
    assert run(app, JOB, SOON + timedelta(hours=47, minutes=59)) == {"escalated": 0}
    assert run(app, JOB, SOON + timedelta(hours=48)) == {"escalated": 1}
    assert run(app, JOB, SOON + timedelta(hours=49)) == {"escalated": 0}  # safe twice
    with app.app_context():
        request = db.session.get_one(AfterSaleRequest, request_id)
        assert request.status.value == "escalated" and request.dispute is not None
        assert request.dispute.escalated_by.value == "timeout"
    cs_headers = Desk(app, shop).other_leader()  # a leader is not CS
    assert read(client, cs_headers.headers, "/cs/disputes").status_code == 403


def test_cs_queue_by_sla_with_overdue_flag_and_403_for_others(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str], cs: dict[str, str]
) -> None:
    user, _, _, first = _pending(shop, app, client)
    _, _, _, second = _pending(shop, app, client)
    run(app, JOB, SOON + timedelta(hours=48))  # both escalated by the job at the same time
    queue = read(client, cs, "/cs/disputes", at=SOON + timedelta(hours=49))
    assert queue.status_code == 200, queue.json
    assert [d["request_id"] for d in queue.json["items"]] == [first, second]
    assert all(d["escalated_by"] == "timeout" and not d["overdue"] for d in queue.json["items"])
    late = read(client, cs, "/cs/disputes", at=SOON + timedelta(days=6))
    assert all(d["overdue"] for d in late.json["items"])
    for headers in (shop.auth(user), leader):
        assert read(client, headers, "/cs/disputes").status_code == 403
        dispute_id = queue.json["items"][0]["id"]
        assert read(client, headers, f"/cs/disputes/{dispute_id}").status_code == 403
        body = {"decision": "no_refund", "refund_fen": 0, "responsibility": "platform"}
        assert act(client, headers, f"/cs/disputes/{dispute_id}/resolve", **body).status_code == 403


def test_working_hours_skip_the_weekend() -> None:
    friday_noon = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # Friday 12:00 in Shanghai
    assert add_working_hours(friday_noon, 12) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday 24:00
    assert add_working_hours(friday_noon, 13) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Monday 01:00
    assert add_working_hours(friday_noon, 48) == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # Tuesday 12:00
    saturday = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert add_working_hours(saturday, 1) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Monday 01:00


def test_the_case_and_a_leader_responsible_partial_refund(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str], cs: dict[str, str]
) -> None:
    user, order_id, line, request_id = _pending(shop, app, client, quantity=2)
    assert act(client, leader, f"/leader/after-sales/{request_id}/reject", reason="customer misuse").status_code == 200
    escalated = act(client, shop.auth(user), f"/after-sales/{request_id}/escalate", statement="arrived rotten")
    dispute_id = escalated.json["id"]
    case = read(client, cs, f"/cs/disputes/{dispute_id}")
    assert case.status_code == 200, case.json
    body = case.json
    assert body["order"]["id"] == order_id and body["refundable_fen"] == 2000
    assert [s["party"] for s in body["statements"]] == ["shopper", "leader", "shopper"]
    assert {e["event"] for e in body["tracking"]} >= {"pay", "pick_up"}
    assert body["payments"][0]["amount_fen"] == 2000
    assert read(client, cs, "/cs/disputes/999999").status_code == 404

    too_much = {"decision": "refund", "refund_fen": 2001, "responsibility": "leader", "note": "n"}
    refused = act(client, cs, f"/cs/disputes/{dispute_id}/resolve", **too_much)
    assert refused.status_code == 409 and refused.json["code"] == "refund_exceeds_refundable"
    decided = act(
        client,
        cs,
        f"/cs/disputes/{dispute_id}/resolve",
        decision="refund",
        refund_fen=700,
        responsibility="leader",
        note="half the box was bad",
    )
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "resolved" and decided.json["refund_fen"] == 700
    again = act(
        client, cs, f"/cs/disputes/{dispute_id}/resolve", decision="no_refund", refund_fen=0, responsibility="platform"
    )
    assert again.status_code == 409 and again.json["code"] == "dispute_already_resolved"
    with app.app_context():
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "dispute")).all()
        assert [(a.action, a.object_id) for a in audit] == [("dispute.resolve", dispute_id)]
        assert audit[0].before["status"] == "open" and audit[0].after["status"] == "resolved"
        assert audit[0].after["refund_fen"] == 700 and audit[0].reason == "half the box was bad"
        deduction = db.session.scalars(select(LeaderDeduction)).one()
        assert (deduction.leader_id, deduction.amount_fen, deduction.order_id) == (shop.leader_id, 700, order_id)
        assert db.session.get_one(OrderLine, line).refunded_fen == 700
    earnings = read(client, leader, "/leader/earnings?from=2026-11-20&to=2026-11-30")
    assert earnings.status_code == 200, earnings.json
    assert earnings.json["deductions_fen"] == 700
    assert earnings.json["earned_after_deductions_fen"] == earnings.json["totals"]["earned_fen"] - 700


def test_another_parties_case_is_404_for_the_shopper(shop: Shop, app: Flask, client: FlaskClient) -> None:
    user, _, _, request_id = _pending(shop, app, client)
    run(app, JOB, SOON + timedelta(hours=48))
    other = shop.auth(shop.shopper())
    assert read(client, other, f"/after-sales/{request_id}").status_code == 404
    assert read(client, shop.auth(user), f"/after-sales/{request_id}").json["status"] == "escalated"
