"""CS finds any order (number, phone, leader, dates), opens it with tracking, payments and refunds, refunds units
as goodwill (line-level, idempotent, 409 past what is left) and reads the audit trail newest first."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.orders.enums import RefundReason
from groupbuy.orders.models import Order, OrderLine, OrderRefund
from tests.cs.conftest import World, audit_count
from tests.factories.accounts import make_user
from tests.jobs.conftest import pay, place


def test_search_by_order_no_phone_leader_and_dates(client: FlaskClient, world: World) -> None:
    other_leader_order = None
    with world.app.app_context():
        stranger = make_user(phone="13911112222", current_leader_id=world.shop.leader_id)
        db.session.expunge(stranger)
    other_leader_order = place(world.app, stranger, world.shop.deal(), 1)

    by_no = client.get(f"/api/v1/cs/orders?order_no={world.order_no}", headers=world.cs)
    assert by_no.status_code == 200, by_no.json
    assert [o["id"] for o in by_no.json["items"]] == [world.order_id]
    assert by_no.json["items"][0]["shopper"]["id"] == world.shopper.id

    by_phone = client.get("/api/v1/cs/orders", query_string={"phone": "+86 139-1111-2222"}, headers=world.cs)
    assert [o["id"] for o in by_phone.json["items"]] == [other_leader_order]
    assert by_phone.json["items"][0]["shopper"]["phone"] == "139****2222"

    by_leader = client.get(f"/api/v1/cs/orders?leader_id={world.shop.leader_id}", headers=world.cs)
    assert by_leader.json["total"] == 2
    assert [o["id"] for o in by_leader.json["items"]] == [other_leader_order, world.order_id]  # newest first

    on_day = client.get("/api/v1/cs/orders?date_from=2026-11-22&date_to=2026-11-22", headers=world.cs)
    assert on_day.json["total"] == 2
    before = client.get("/api/v1/cs/orders?date_to=2026-11-21", headers=world.cs)
    assert before.json["total"] == 0
    paged = client.get("/api/v1/cs/orders?page_size=1&page=2", headers=world.cs)
    assert paged.json["total"] == 2 and [o["id"] for o in paged.json["items"]] == [world.order_id]


def test_bad_search_input_is_422(client: FlaskClient, world: World) -> None:
    assert client.get("/api/v1/cs/orders?phone=12345", headers=world.cs).status_code == 422
    assert client.get("/api/v1/cs/orders?date_from=2026-11-23&date_to=2026-11-22", headers=world.cs).status_code == 422


def test_open_any_order_with_tracking_payments_and_refunds(client: FlaskClient, world: World) -> None:
    response = client.get(f"/api/v1/cs/orders/{world.order_id}", headers=world.cs)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["order_no"] == world.order_no and body["lines"][0]["quantity"] == 2
    assert [e["event"] for e in body["tracking"]["events"]] == ["place", "pay"]
    assert body["payments"] == [] and body["refunds"] == [] and body["order_refunds"] == []
    assert client.get("/api/v1/cs/orders/999999", headers=world.cs).status_code == 404


def test_goodwill_refund_through_the_line_refunds(client: FlaskClient, world: World) -> None:
    body = {"lines": [{"order_item_id": world.line_id, "quantity": 1}], "reason": "水果有磕碰，补偿一份"}
    headers = world.key(world.cs)
    first = client.post(f"/api/v1/cs/orders/{world.order_id}/goodwill-refund", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["amount_fen"] == 1000
    again = client.post(f"/api/v1/cs/orders/{world.order_id}/goodwill-refund", json=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"

    with world.app.app_context():
        line = db.session.get_one(OrderLine, world.line_id)
        assert (line.refunded_quantity, line.refunded_fen) == (1, 1000)
        order = db.session.get_one(Order, world.order_id)
        assert order.payable_fen + order.refund_due_fen == order.paid_fen == 2000
        ledger = db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == world.order_id)).all()
        assert [(r.reason, r.amount_fen, r.actor) for r in ledger] == [
            (RefundReason.AFTER_SALE, 1000, f"cs:{world.cs_id}")
        ]
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.goodwill_refund")).one()
        assert entry.before == {"status": "paid", "payable_fen": 2000, "refund_due_fen": 0}
        assert entry.after is not None and entry.after["refund_due_fen"] == 1000
        assert entry.reason == "水果有磕碰，补偿一份" and entry.actor_id == world.cs_id

    tracking = client.get(f"/api/v1/cs/orders/{world.order_id}", headers=world.cs).json
    assert tracking["tracking"]["events"][-1]["event"] == "line_refund"
    assert tracking["order_refunds"][0]["lines"] == [{"line_id": world.line_id, "quantity": 1, "amount_fen": 1000}]

    too_much = {"lines": [{"order_item_id": world.line_id, "quantity": 2}], "reason": "再退两份"}
    over = client.post(
        f"/api/v1/cs/orders/{world.order_id}/goodwill-refund", json=too_much, headers=world.key(world.cs)
    )
    assert over.status_code == 409 and over.json["code"] == "refund_exceeds_line"
    assert audit_count(world.app) == 1


def test_goodwill_refund_needs_a_key_and_a_paid_order(client: FlaskClient, world: World) -> None:
    body = {"lines": [{"order_item_id": world.line_id, "quantity": 1}], "reason": "补偿"}
    no_key = client.post(f"/api/v1/cs/orders/{world.order_id}/goodwill-refund", json=body, headers=world.cs)
    assert no_key.status_code == 422
    unpaid = place(world.app, world.shopper, world.shop.deal(), 1)
    with world.app.app_context():
        line_id = db.session.get_one(Order, unpaid).lines[0].id
    refused = client.post(
        f"/api/v1/cs/orders/{unpaid}/goodwill-refund",
        json={"lines": [{"order_item_id": line_id, "quantity": 1}], "reason": "补偿"},
        headers=world.key(world.cs),
    )
    assert refused.status_code == 409 and refused.json["code"] == "order_not_refundable"
    pay(world.app, unpaid)
    wrong_line = client.post(
        f"/api/v1/cs/orders/{unpaid}/goodwill-refund",
        json={"lines": [{"order_item_id": world.line_id, "quantity": 1}], "reason": "补偿"},
        headers=world.key(world.cs),
    )
    assert wrong_line.status_code == 422
    assert audit_count(world.app) == 0


def test_audit_trail_newest_first_and_paged(client: FlaskClient, world: World) -> None:
    target = world.shopper.id
    for action in ("suspend", "reinstate", "suspend"):
        answer = client.post(f"/api/v1/cs/accounts/{target}/{action}", json={"reason": "测试"}, headers=world.cs)
        assert answer.status_code == 200, answer.json
    trail = client.get(f"/api/v1/cs/audit?object_type=user&object_id={target}", headers=world.cs)
    assert trail.status_code == 200, trail.json
    assert [e["action"] for e in trail.json["items"]] == ["user.suspended", "user.active", "user.suspended"]
    assert trail.json["items"][0]["before"] == {"status": "active"}
    assert trail.json["items"][0]["after"] == {"status": "suspended"}
    page = client.get(f"/api/v1/cs/audit?object_type=user&object_id={target}&page_size=1&page=3", headers=world.cs)
    assert page.json["total"] == 3 and page.json["items"][0]["action"] == "user.suspended"
    assert client.get("/api/v1/cs/audit?object_type=order", headers=world.cs).json["total"] == 0


def test_goodwill_amounts_for_kept_goods_stay_within_what_is_refundable(client: FlaskClient, world: World) -> None:
    url = f"/api/v1/cs/orders/{world.order_id}/goodwill-refund"
    on_line = {"lines": [{"order_item_id": world.line_id, "amount_fen": 300}], "reason": "有磕碰，顾客留下"}
    first = client.post(url, json=on_line, headers=world.key(world.cs))
    assert first.status_code == 201, first.json
    assert first.json["amount_fen"] == 300 and first.json["status"] == "paid"
    whole = client.post(url, json={"amount_fen": 200, "reason": "再补偿"}, headers=world.key(world.cs))
    assert whole.status_code == 201 and whole.json["amount_fen"] == 200
    over = client.post(url, json={"amount_fen": 2000, "reason": "全退"}, headers=world.key(world.cs))
    assert over.status_code == 409 and over.json["code"] == "refund_exceeds_refundable"
    both = {"lines": [{"order_item_id": world.line_id, "quantity": 1, "amount_fen": 1}], "reason": "x"}
    assert client.post(url, json=both, headers=world.key(world.cs)).status_code == 422
    neither = client.post(url, json={"reason": "x"}, headers=world.key(world.cs))
    assert neither.status_code == 422
    units = client.post(
        url,
        json={"lines": [{"order_item_id": world.line_id, "quantity": 2}], "reason": "全部退货"},
        headers=world.key(world.cs),
    )
    assert units.status_code == 201 and units.json["amount_fen"] == 1500  # the units' price less what was given
    with world.app.app_context():
        order = db.session.get_one(Order, world.order_id)
        assert order.refund_due_fen == 2000 == order.paid_fen and order.payable_fen == 0
    assert audit_count(world.app) == 3
