"""Requests on received orders: opened by the owner only, on received orders only, never above what is refundable;
the leader accepts (refunded through the line-level refunds and the payments door) or rejects in time."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy.db import db
from groupbuy.orders.models import Order, OrderLine, OrderRefund
from groupbuy.payments.models import Refund
from tests.aftersales.conftest import SOON, act, ask, line_ids, read, received_order
from tests.factories.desk import Desk
from tests.factories.market import Shop
from tests.flows.conftest import paid_order


def test_open_accept_refunds_through_the_line_refunds_and_payments(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str]
) -> None:
    deal = shop.deal(price_fen=1000)
    user = shop.shopper()
    order_id = received_order(app, user, {deal: 2})
    (line,) = line_ids(app, order_id)
    opened = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 300, description="bruised")
    assert opened.status_code == 201, opened.json
    assert opened.json["status"] == "pending" and opened.json["items"][0]["quantity"] is None
    request_id = opened.json["id"]

    listed = read(client, leader, "/leader/after-sales?status=pending")
    assert [r["id"] for r in listed.json["items"]] == [request_id]
    accepted = act(client, leader, f"/leader/after-sales/{request_id}/accept")
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"] == "accepted" and accepted.json["refund_fen"] == 300
    with app.app_context():
        row = db.session.get_one(OrderLine, line)
        assert (row.refunded_quantity, row.refunded_fen, row.kept_refund_fen) == (0, 300, 300)
        order = db.session.get_one(Order, order_id)
        assert (order.payable_fen, order.refund_due_fen) == (1700, 300)
        refund = db.session.scalar(select(Refund).where(Refund.order_id == order_id))
        assert refund is not None and refund.amount_fen == 300 and refund.request_key.startswith("order_refund:")
    again = act(client, leader, f"/leader/after-sales/{request_id}/accept")
    assert again.status_code == 409 and again.json["code"] == "after_sale_state_changed"


def test_return_refund_gives_units_back_at_their_price(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str]
) -> None:
    deal = shop.deal(price_fen=1000)
    user = shop.shopper()
    order_id = received_order(app, user, {deal: 3})
    (line,) = line_ids(app, order_id)
    wrong = ask(client, shop.key(user), order_id, [{"order_item_id": line, "quantity": 1}], 900, type="return_refund")
    assert wrong.status_code == 422 and "amount_fen" in wrong.json["errors"]
    opened = ask(client, shop.key(user), order_id, [{"order_item_id": line, "quantity": 1}], 1000, type="return_refund")
    assert opened.status_code == 201, opened.json
    assert act(client, leader, f"/leader/after-sales/{opened.json['id']}/accept").status_code == 200
    with app.app_context():
        row = db.session.get_one(OrderLine, line)
        assert (row.refunded_quantity, row.refunded_fen) == (1, 1000)


def test_only_received_orders_by_their_owner_and_never_above_refundable(
    shop: Shop, app: Flask, client: FlaskClient
) -> None:
    deal = shop.deal(price_fen=1000)
    user, other = shop.shopper(), shop.shopper()
    order_id = received_order(app, user, {deal: 1})
    (line,) = line_ids(app, order_id)
    item = [{"order_item_id": line}]
    assert ask(client, shop.key(other), order_id, item, 100).status_code == 404
    too_much = ask(client, shop.key(user), order_id, item, 1001)
    assert too_much.status_code == 409 and too_much.json["code"] == "refund_exceeds_refundable"
    not_yet = paid_order(app, user, {deal: 1})
    (not_yet_line,) = line_ids(app, not_yet)
    refused = ask(client, shop.key(user), not_yet, [{"order_item_id": not_yet_line}], 100)
    assert refused.status_code == 409 and refused.json["code"] == "order_not_received"
    foreign = ask(client, shop.key(user), order_id, [{"order_item_id": not_yet_line}], 100)
    assert foreign.status_code == 422


def test_leaders_and_shoppers_see_only_their_own(shop: Shop, app: Flask, client: FlaskClient) -> None:
    desk = Desk(app, shop)
    other = desk.other_leader()
    deal = shop.deal()
    user = shop.shopper()
    order_id = received_order(app, user, {deal: 1})
    (line,) = line_ids(app, order_id)
    request_id = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 100).json["id"]
    assert act(client, other.headers, f"/leader/after-sales/{request_id}/accept").status_code == 404
    assert act(client, other.headers, f"/leader/after-sales/{request_id}/reject", reason="no").status_code == 404
    assert read(client, other.headers, "/leader/after-sales").json["total"] == 0
    stranger = shop.auth(shop.shopper())
    assert read(client, stranger, f"/after-sales/{request_id}").status_code == 404
    mine = read(client, shop.auth(user), "/after-sales")
    assert [r["id"] for r in mine.json["items"]] == [request_id]


def test_reject_with_a_reason_then_escalate(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str]
) -> None:
    deal = shop.deal()
    user = shop.shopper()
    order_id = received_order(app, user, {deal: 1})
    (line,) = line_ids(app, order_id)
    request_id = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 100).json["id"]
    early = act(client, shop.auth(user), f"/after-sales/{request_id}/escalate")
    assert early.status_code == 409 and early.json["code"] == "after_sale_not_rejected"
    rejected = act(client, leader, f"/leader/after-sales/{request_id}/reject", reason="looks fine to me")
    assert rejected.status_code == 200 and rejected.json["leader_note"] == "looks fine to me"
    other = shop.auth(shop.shopper())
    assert act(client, other, f"/after-sales/{request_id}/escalate").status_code == 404
    escalated = act(client, shop.auth(user), f"/after-sales/{request_id}/escalate", statement="it was rotten")
    assert escalated.status_code == 201, escalated.json
    assert escalated.json["status"] == "open" and escalated.json["escalated_by"] == "shopper"
    detail = read(client, shop.auth(user), f"/after-sales/{request_id}").json
    assert detail["status"] == "escalated" and detail["dispute"]["status"] == "open"
    assert [e["to_status"] for e in detail["events"]] == ["pending", "rejected", "escalated"]


def test_a_late_reject_is_refused(shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str]) -> None:
    from datetime import timedelta

    deal = shop.deal()
    user = shop.shopper()
    order_id = received_order(app, user, {deal: 1})
    (line,) = line_ids(app, order_id)
    request_id = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 100).json["id"]
    late = act(client, leader, f"/leader/after-sales/{request_id}/reject", at=SOON + timedelta(hours=49), reason="x")
    assert late.status_code == 409 and late.json["code"] == "after_sale_answer_overdue"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 0
