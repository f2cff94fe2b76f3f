"""Orders settle line by line: a failed group refunds only its own lines, through one ledger, once.

The money path end to end: an order paid through the sandbox provider, its groups closed by the job, the
refund sent by the payments job, the money reported back (line refunding → refunded, order refunded when whole).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.db import db
from groupbuy.errors import Conflict, Invalid
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group
from groupbuy.notifications.models import Notification
from groupbuy.orders.enums import LineStatus, OrderEvent, OrderStatus, RefundReason
from groupbuy.orders.models import Order, OrderLine, OrderRefund, OrderTimelineEvent
from groupbuy.orders.service import refund_lines
from groupbuy.payments import jobs
from groupbuy.payments.enums import RefundSource, RefundState
from groupbuy.payments.models import Payment, Refund
from tests.conftest import tune
from tests.factories.market import T0, Shop
from tests.jobs.conftest import leader_user_id, run

APPLES, SOY = 1990, 5178  # ¥19.90 and ¥51.78: the order in the issue paid ¥71.68
LATER = T0 + timedelta(hours=11)


def _order_paid_by_sandbox(
    shop: Shop, client: FlaskClient, items: dict[int, int], *, delivery: bool = False
) -> dict[str, Any]:
    buyer = shop.shopper()
    payload: dict[str, Any] = {"items": [{"deal_id": d, "quantity": q} for d, q in items.items()]}
    payload |= {"fulfilment": "delivery", "address_id": shop.address(buyer)} if delivery else {"fulfilment": "pickup"}
    with clock.frozen(T0):
        placed = client.post("/api/v1/orders", json=payload, headers=shop.key(buyer))
        assert placed.status_code == 201, placed.json
        headers = shop.auth(buyer)
        payment = client.post(
            f"/api/v1/orders/{placed.json['id']}/payments", json={"channel": "sandbox"}, headers=headers
        )
        assert payment.status_code == 201, payment.json
        token = payment.json["code_url"].rsplit("/", 1)[1]
        client.post(f"/pay/sandbox/{token}", data={"result": "success"})
        order = client.get(f"/api/v1/orders/{placed.json['id']}", headers=headers).json
    assert order["status"] == "paid"
    return {**order, "headers": headers, "user_id": buyer.id}


def _get(client: FlaskClient, order: dict[str, Any]) -> dict[str, Any]:
    with clock.frozen(LATER):
        response = client.get(f"/api/v1/orders/{order['id']}", headers=order["headers"])
    assert response.status_code == 200
    return dict(response.json)


def _line(order: dict[str, Any], deal_id: int) -> dict[str, Any]:
    (line,) = [line for line in order["lines"] if line["deal_id"] == deal_id]
    return dict(line)


def _group(app: Flask, deal_id: int) -> tuple[GroupStatus, int, int]:
    with app.app_context():
        group = db.session.scalars(select(Group).where(Group.deal_id == deal_id)).one()
        return group.status, group.units_reserved, group.units_paid


def _notices(app: Flask, user_id: int) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)))
        db.session.expunge_all()
        return rows


def test_a_failed_group_refunds_only_its_own_lines(shop: Shop, app: Flask, client: FlaskClient) -> None:
    apples = shop.deal(price_fen=APPLES, stock=20, min_group_quantity=10)
    soy = shop.deal(price_fen=SOY, stock=20, min_group_quantity=1)
    order = _order_paid_by_sandbox(shop, client, {apples: 1, soy: 1})
    assert order["paid_fen"] == 7168

    counts = run(app, "close_due_groups", shop.cutoff)

    assert (counts["groups_failed"], counts["groups_succeeded"]) == (1, 1)
    assert (counts["orders_partly_refunded"], counts["orders_refunding"], counts["lines_refunded"]) == (1, 0, 1)
    after = _get(client, order)
    assert after["status"] == "paid"
    assert (after["paid_fen"], after["payable_fen"], after["refund_due_fen"]) == (7168, SOY, APPLES)
    assert after["items_fen"] == SOY
    refunded, kept = _line(after, apples), _line(after, soy)
    assert (refunded["status"], refunded["refund_reason"]) == ("refunding", "group_failed")
    assert (refunded["refunded_quantity"], refunded["refunded_fen"]) == (1, APPLES)
    assert (kept["status"], kept["refunded_quantity"], kept["refunded_fen"]) == ("active", 0, 0)
    assert _group(app, apples) == (GroupStatus.FAILED, 0, 0)
    assert _group(app, soy) == (GroupStatus.SUCCEEDED, 1, 1)  # the soy sauce is still to be delivered
    with app.app_context():
        assert [db.session.get_one(Deal, d).stock_available for d in (apples, soy)] == [20, 19]
        assert db.session.scalar(select(func.sum(UserDealPurchase.quantity))) == 1
    notes = [e["note"] for e in after["timeline"] if e["event"] == "line_refund"]
    assert len(notes) == 1 and "×1 未成团，已退款 ¥19.90" in notes[0]

    (told,) = _notices(app, order["user_id"])[1:]  # after the payment notice: one notice for the closing
    assert told.kind == "group_partly_succeeded"
    assert "×1 未成团，退款 ¥19.90" in told.body and "×1 已成团" in told.body and "¥19.90 将原路退回" in told.body
    (leader,) = _notices(app, leader_user_id(app, shop))
    assert leader.kind == "leader_stock_list" and leader.payload["units"] == 1
    assert "共 1 件" in leader.body and "未成团" in leader.body

    # The payments job sends one refund for the apples line, linked to the ledger row; the money comes back.
    with app.app_context():
        assert jobs.retry_refunds(LATER)["due_requested"] == 1
        assert jobs.retry_refunds(LATER + timedelta(hours=1))["due_requested"] == 0
        (refund,) = db.session.scalars(select(Refund)).all()
        ledger = db.session.scalars(select(OrderRefund)).one()
        assert (refund.amount_fen, refund.order_refund_id, refund.status) == (APPLES, ledger.id, RefundState.SUCCEEDED)
        assert refund.source is RefundSource.GROUP_FAILED and ledger.refunded_at is not None
    final = _get(client, order)
    assert final["status"] == "paid" and final["refunded_fen"] == APPLES
    assert (_line(final, apples)["status"], _line(final, soy)["status"]) == ("refunded", "active")


def test_an_order_whose_every_line_fails_is_refunded_in_full_with_its_delivery_fee(
    shop: Shop, app: Flask, client: FlaskClient
) -> None:
    shop.offer_delivery(fee_fen=500)
    first, second = shop.deal(price_fen=990, min_group_quantity=5), shop.deal(price_fen=300, min_group_quantity=5)
    buyer_order = _order_paid_by_sandbox(shop, client, {first: 2, second: 1}, delivery=True)
    assert buyer_order["paid_fen"] == 990 * 2 + 300 + 500

    counts = run(app, "close_due_groups", shop.cutoff)

    assert (counts["orders_refunding"], counts["lines_refunded"]) == (1, 2)
    after = _get(client, buyer_order)
    assert after["status"] == "refunding"
    assert (after["refund_due_fen"], after["payable_fen"], after["delivery_fee_fen"]) == (2780, 0, 0)
    (told,) = [n for n in _notices(app, buyer_order["user_id"]) if n.kind != "order_paid"]
    assert told.kind == "group_failed" and "共 ¥27.80（含配送费 ¥5.00）将原路退回" in told.body
    with app.app_context():
        jobs.retry_refunds(LATER)
        (refund,) = db.session.scalars(select(Refund)).all()
        assert refund.amount_fen == 2780 and refund.status is RefundState.SUCCEEDED
    final = _get(client, buyer_order)
    assert final["status"] == "refunded" and final["refunded_fen"] == 2780
    assert {line["status"] for line in final["lines"]} == {"refunded"}
    assert [e["event"] for e in final["timeline"]][-3:] == ["line_refund", "group_fail", "refund_done"]


def test_the_delivery_fee_is_kept_when_configured_never(shop: Shop, app: Flask, client: FlaskClient) -> None:
    tune(app, delivery_fee_refund="never")
    shop.offer_delivery(fee_fen=500)
    deal = shop.deal(price_fen=990, min_group_quantity=5)
    order = _order_paid_by_sandbox(shop, client, {deal: 1}, delivery=True)
    run(app, "close_due_groups", shop.cutoff)
    after = _get(client, order)
    assert after["status"] == "refunding"
    assert (after["refund_due_fen"], after["payable_fen"], after["delivery_fee_fen"]) == (990, 500, 500)


def test_a_paid_order_in_a_group_cancelled_for_a_suspended_leader_is_refunded(
    shop: Shop, app: Flask, client: FlaskClient
) -> None:
    deal = shop.deal(price_fen=990, min_group_quantity=1)  # would succeed
    order = _order_paid_by_sandbox(shop, client, {deal: 2})
    from groupbuy.leaders.service import suspend_leader
    from tests.factories.accounts import make_user

    with app.app_context():
        cs = make_user()
        suspend_leader(leader_id=shop.leader_id, actor_id=cs.id, reason="complaints", now=T0 + timedelta(hours=1))

    counts = run(app, "close_due_groups", shop.cutoff)

    assert (counts["groups_cancelled"], counts["orders_refunding"]) == (1, 1)
    assert _group(app, deal) == (GroupStatus.CANCELLED, 0, 0)
    after = _get(client, order)
    assert after["status"] == "refunding" and after["refund_due_fen"] == 1980
    assert {(line["status"], line["refund_reason"]) for line in after["lines"]} == {("refunding", "group_cancelled")}


def test_cancelling_a_paid_order_goes_through_the_ledger(shop: Shop, app: Flask, client: FlaskClient) -> None:
    a, b = shop.deal(price_fen=990), shop.deal(price_fen=300)
    order = _order_paid_by_sandbox(shop, client, {a: 1, b: 3})
    with clock.frozen(T0 + timedelta(minutes=5)):
        response = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=order["headers"])
    assert response.status_code == 200 and response.json["status"] == "refunding"
    assert response.json["refund_due_fen"] == 1890
    assert {line["refund_reason"] for line in response.json["lines"]} == {"order_cancelled"}
    with app.app_context():
        ledger = db.session.scalars(select(OrderRefund)).one()
        assert (ledger.amount_fen, ledger.reason, len(ledger.lines)) == (1890, RefundReason.ORDER_CANCELLED, 2)
        assert [db.session.get_one(Deal, d).stock_available for d in (a, b)] == [100, 100]
        jobs.retry_refunds(LATER)
        assert db.session.scalars(select(Refund.source)).one() is RefundSource.CANCELLATION
    assert _get(client, order)["status"] == "refunded"


def test_refund_lines_refunds_part_of_a_line_and_never_more_than_was_paid(
    shop: Shop, app: Flask, client: FlaskClient
) -> None:
    deal = shop.deal(price_fen=1990, min_group_quantity=1)
    order = _order_paid_by_sandbox(shop, client, {deal: 5})
    (line_id,) = [line["id"] for line in order["lines"]]
    with app.app_context():
        outcome = refund_lines(
            order_id=order["id"], lines=[(line_id, 3)], reason=RefundReason.SHORTAGE, actor="leader:1", now=LATER
        )
        assert (outcome.amount_fen, outcome.whole_order, outcome.status) == (5970, False, OrderStatus.PAID)
        with pytest.raises(Conflict) as too_many:
            refund_lines(
                order_id=order["id"], lines=[(line_id, 3)], reason=RefundReason.SHORTAGE, actor="leader:1", now=LATER
            )
        assert too_many.value.code == "refund_exceeds_line"
        with pytest.raises(Invalid):
            refund_lines(
                order_id=order["id"], lines=[(line_id + 99, 1)], reason=RefundReason.SHORTAGE, actor="x", now=LATER
            )
    after = _get(client, order)
    line = after["lines"][0]
    assert (line["status"], line["refunded_quantity"], line["refunded_fen"]) == ("active", 3, 5970)
    assert (after["status"], after["payable_fen"], after["refund_due_fen"]) == ("paid", 3980, 5970)
    with app.app_context():
        last = refund_lines(
            order_id=order["id"], lines=[(line_id, 2)], reason=RefundReason.AFTER_SALE, actor="cs:1", now=LATER
        )
        assert (last.amount_fen, last.whole_order, last.status) == (3980, True, OrderStatus.REFUNDING)
        events = db.session.scalars(
            select(OrderTimelineEvent.event)
            .where(OrderTimelineEvent.order_id == order["id"])
            .order_by(OrderTimelineEvent.id)
        ).all()
        assert events[-2:] == [OrderEvent.LINE_REFUND, OrderEvent.REFUND]  # the last refund moves the order
        jobs.retry_refunds(LATER)
        refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
        assert [r.amount_fen for r in refunds] == [5970, 3980]
        assert sum(r.amount_fen for r in refunds) == db.session.scalars(select(Payment.amount_fen)).one()
        assert db.session.get_one(OrderLine, line_id).status is LineStatus.REFUNDED
        assert db.session.get_one(Order, order["id"]).status is OrderStatus.REFUNDED


def test_a_closing_run_repeated_refunds_each_line_once(shop: Shop, app: Flask, client: FlaskClient) -> None:
    fails, succeeds = shop.deal(min_group_quantity=9), shop.deal(min_group_quantity=1)
    orders = [_order_paid_by_sandbox(shop, client, {fails: 1, succeeds: 1}) for _ in range(3)]
    run(app, "close_due_groups", shop.cutoff)
    again = run(app, "close_due_groups", shop.cutoff + timedelta(minutes=1))
    assert set(again.values()) == {0}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 3
        jobs.retry_refunds(LATER)
        jobs.retry_refunds(LATER + timedelta(hours=2))
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 3
    for order in orders:
        after = _get(client, order)
        assert (after["status"], after["refunded_fen"], after["refund_due_fen"]) == ("paid", 990, 990)


def test_cancelling_after_a_line_was_refunded_refunds_only_what_is_left(
    shop: Shop, app: Flask, client: FlaskClient
) -> None:
    a, b = shop.deal(price_fen=990), shop.deal(price_fen=300)
    order = _order_paid_by_sandbox(shop, client, {a: 1, b: 2})
    first = _line(order, a)["id"]
    with app.app_context():
        refund_lines(order_id=order["id"], lines=[(first, 1)], reason=RefundReason.SHORTAGE, actor="cs:1", now=T0)
    with clock.frozen(T0 + timedelta(minutes=5)):
        response = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=order["headers"])
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["refund_due_fen"], response.json["payable_fen"]) == (
        "refunding",
        1590,
        0,
    )
    with app.app_context():
        amounts = db.session.scalars(select(OrderRefund.amount_fen).order_by(OrderRefund.id)).all()
        assert amounts == [990, 600]
