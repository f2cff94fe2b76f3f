"""After-sale refunds never exceed what is refundable under concurrent requests (PostgreSQL, real row locks): the
leader accepting requests and CS resolving disputes on the same line at once, conservation checked in SQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from groupbuy import clock
from groupbuy.aftersales.enums import AfterSaleReason, AfterSaleStatus, AfterSaleType, DisputeStatus, EscalatedBy
from groupbuy.aftersales.models import AfterSaleItem, AfterSaleRequest, Dispute
from groupbuy.db import db, transaction
from groupbuy.orders.models import Order
from tests.aftersales.conftest import SOON, line_ids, received_order
from tests.factories.market import Shop

ASK = 1500  # each request asks this of a line paid 4 x 1000: only two of them fit


def _request(app: Flask, order_id: int, line: int, *, quantity: int | None, escalated: bool) -> tuple[int, int | None]:
    """A request on the line as the service leaves it (pending, or escalated with its dispute); many on one line
    stand for requests raced in from several lines, devices and CS at once."""
    with app.app_context(), transaction():
        order = db.session.get_one(Order, order_id)
        request = AfterSaleRequest(
            order_id=order_id,
            user_id=order.user_id,
            leader_id=order.leader_id,
            type=AfterSaleType.RETURN_REFUND if quantity else AfterSaleType.REFUND_ONLY,
            reason=AfterSaleReason.QUALITY,
            amount_fen=ASK if quantity is None else 1000 * quantity,
            images=[],
            status=AfterSaleStatus.ESCALATED if escalated else AfterSaleStatus.PENDING,
            answer_due_at=SOON + timedelta(hours=48),
            created_at=SOON,
            updated_at=SOON,
            items=[AfterSaleItem(order_line_id=line, quantity=quantity)],
        )
        db.session.add(request)
        db.session.flush()
        if not escalated:
            return request.id, None
        dispute = Dispute(
            request_id=request.id,
            order_id=order_id,
            user_id=order.user_id,
            leader_id=order.leader_id,
            status=DisputeStatus.OPEN,
            escalated_by=EscalatedBy.SHOPPER,
            images=[],
            priority=False,
            sla_due_at=SOON,
            created_at=SOON,
            updated_at=SOON,
        )
        db.session.add(dispute)
        db.session.flush()
        return request.id, dispute.id


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["kept", "units"])
def test_concurrent_accepts_and_resolves_never_refund_past_the_line(
    shop: Shop, app: Flask, busy_app: Flask, leader: dict[str, str], cs: dict[str, str], kind: str
) -> None:
    deal = shop.deal(price_fen=1000)
    order_id = received_order(app, shop.shopper(), {deal: 4})
    (line,) = line_ids(app, order_id)
    quantity = 2 if kind == "units" else None  # 2 units = 2000 each: two fit as well
    made = [_request(app, order_id, line, quantity=quantity, escalated=i % 2 == 1) for i in range(6)]
    calls: list[tuple[str, dict[str, Any], dict[str, str]]] = []
    for request_id, dispute_id in made:
        if dispute_id is None:
            calls.append((f"/api/v1/leader/after-sales/{request_id}/accept", {}, leader))
        else:
            body = {"decision": "refund", "refund_fen": ASK if quantity is None else 2000, "responsibility": "leader"}
            calls.append((f"/api/v1/cs/disputes/{dispute_id}/resolve", body, cs))
    barrier = threading.Barrier(len(calls))
    answers: list[tuple[int, str | None]] = []

    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        client = busy_app.test_client()
        barrier.wait()
        answer = client.post(path, json=body, headers=headers)
        answers.append((answer.status_code, (answer.get_json() or {}).get("code")))

    with clock.frozen(SOON):
        threads = [threading.Thread(target=post, args=call) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(status for status, _ in answers) == [200, 200, 409, 409, 409, 409], answers
    refused = {code for status, code in answers if status == 409}
    assert refused <= {"refund_exceeds_refundable", "refund_exceeds_line", "order_not_refundable"}  # all given back
    with app.app_context():
        row = db.session.execute(
            text(
                """
                SELECT o.paid_fen, o.refund_due_fen,
                       (SELECT SUM(l.refunded_fen) FROM order_lines l WHERE l.order_id = o.id) AS lines_fen,
                       (SELECT SUM(l.line_total_fen - l.discount_fen) FROM order_lines l WHERE l.order_id = o.id)
                           AS lines_paid,
                       (SELECT SUM(r.amount_fen) FROM order_refunds r WHERE r.order_id = o.id) AS ledger_fen,
                       (SELECT SUM(p.refunded_fen) FROM payments p WHERE p.order_id = o.id) AS payment_fen,
                       (SELECT SUM(a.refund_fen) FROM after_sale_requests a WHERE a.order_id = o.id) AS granted_fen,
                       (SELECT SUM(d.amount_fen) FROM leader_deductions d WHERE d.order_id = o.id) AS deducted_fen
                FROM orders o WHERE o.id = :order_id
                """
            ),
            {"order_id": order_id},
        ).one()
    expected = 2 * ASK if quantity is None else 4000
    assert row.refund_due_fen == row.lines_fen == row.ledger_fen == row.payment_fen == row.granted_fen == expected
    assert row.lines_fen <= row.lines_paid == row.paid_fen
    assert row.deducted_fen in (None, 0, ASK, 2 * ASK, 2000, 4000)
