"""Customer service in a real browser: the demo CS agent logs in (landing on the console), opens an escalated
dispute from the queue, decides a partial refund and sees the order's tracking updated with it.

The dispute is made by this test through the after-sale services (a demo shopper's received order, the request,
the leader's rejection, the shopper's escalation), so the test does not depend on the demo's timing.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from groupbuy import clock
from groupbuy.aftersales.models import AfterSaleRequest
from groupbuy.db import db
from groupbuy.demo import DEMO_PASSWORD
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from groupbuy.payments.models import Payment
from tests.browser.conftest import ServedApp
from tests.cs.conftest import escalated_dispute

pytestmark = pytest.mark.browser
CS_PHONE = "13800000002"


def _dispute(served: ServedApp) -> tuple[int, str, int]:
    """The latest picked-up demo order paid through a payment and without an after-sale request yet, taken to a
    dispute: (order id, number, dispute id)."""
    with served.app.app_context():
        order = db.session.execute(
            select(Order.id, Order.order_no, Order.payable_fen)
            .join(Payment, (Payment.order_id == Order.id) & Payment.applied_to_order)
            .where(
                Order.status == OrderStatus.PICKED_UP,
                Order.refund_due_fen == 0,
                ~select(AfterSaleRequest.id).where(AfterSaleRequest.order_id == Order.id).exists(),
            )
            .order_by(Order.id.desc())
            .limit(1)
        ).one()
        db.session.remove()
    dispute_id = escalated_dispute(served.app, order.id, amount_fen=order.payable_fen // 2, now=clock.now())
    with served.app.app_context():
        db.session.remove()
    return order.id, order.order_no, dispute_id


def test_cs_opens_an_escalated_dispute_decides_a_partial_refund_and_sees_the_tracking(
    served: ServedApp, chromium: Any
) -> None:
    order_id, order_no, dispute_id = _dispute(served)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{served.base_url}/console/")
    assert page.url.startswith(f"{served.base_url}/workbench/login")
    page.fill("#login", CS_PHONE)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.base_url}/console/")
    cookie = next(c for c in context.cookies() if c["name"] == "gb_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("gb_console") == -1

    page.click("header a[href='/console/disputes']")
    page.wait_for_url(f"{served.base_url}/console/disputes")
    row = page.locator(f"#dispute-queue tr[data-dispute-id='{dispute_id}']")
    assert order_no in row.inner_text()
    row.locator("a").click()
    page.wait_for_url(f"{served.base_url}/console/disputes/{dispute_id}")
    rows = page.locator("#tracking tr").count()

    page.select_option("#decision", "refund")
    page.fill("#refund-yuan", "1.00")
    page.select_option("#responsibility", "leader")
    page.fill("#decide-note", "顾客提供照片属实，部分退款，团长承担")
    page.click("#decide-form button[type=submit]")
    page.wait_for_selector("#resolve-result")
    assert "¥1.00" in page.inner_text("#resolve-result")
    assert page.locator("#decide-form").count() == 0  # decided once
    assert page.locator("#tracking tr").count() == rows + 1
    assert "售后" in page.inner_text("#tracking tr >> nth=-1")

    page.click(f"a[href='/console/orders/{order_id}']")
    page.wait_for_url(f"{served.base_url}/console/orders/{order_id}")
    assert page.inner_text("#refund-due") == "¥1.00"
    context.close()
