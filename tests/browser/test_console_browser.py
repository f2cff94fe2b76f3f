"""Customer service in a real browser: the demo CS agent logs in (landing on the console), finds an order, decides
a partial refund on it and sees the order's tracking updated with the refund.

Until the after-sale disputes land, the case is an order of the demo leader created by the demo loader (through
the services); the decision is the console's goodwill refund of one unit (the line-level refund entry point).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from groupbuy.db import db
from groupbuy.demo import DEMO_PASSWORD
from groupbuy.orders.enums import LineStatus, OrderStatus
from groupbuy.orders.models import Order, OrderLine
from tests.browser.conftest import ServedApp

pytestmark = pytest.mark.browser
CS_PHONE = "13800000002"


def _case(served: ServedApp) -> tuple[int, str, int]:
    """A demo order whose line has two or more units left: its id, number and line."""
    with served.app.app_context():
        row = db.session.execute(
            select(Order.id, Order.order_no, OrderLine.id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                Order.status.in_([OrderStatus.PICKED_UP, OrderStatus.COMPLETED, OrderStatus.READY_FOR_PICKUP]),
                OrderLine.status == LineStatus.ACTIVE,
                OrderLine.quantity - OrderLine.refunded_quantity >= 2,
            )
            .order_by(Order.id)
            .limit(1)
        ).one()
        db.session.remove()
        return row[0], row[1], row[2]


def _refunded(served: ServedApp, line_id: int) -> int:
    with served.app.app_context():
        quantity = db.session.scalar(select(OrderLine.refunded_quantity).where(OrderLine.id == line_id))
        db.session.remove()
        return int(quantity or 0)


def test_cs_logs_in_decides_a_partial_refund_and_sees_the_tracking(served: ServedApp, chromium: Any) -> None:
    order_id, order_no, line_id = _case(served)
    before = _refunded(served, line_id)
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

    page.fill("#order_no", order_no)
    page.click("#order-search button[type=submit]")
    page.wait_for_selector("#search-results")
    page.click(f"#search-results a[href='/console/orders/{order_id}']")
    page.wait_for_url(f"{served.base_url}/console/orders/{order_id}")
    rows = page.locator("#tracking tr").count()

    page.select_option("#goodwill-line", str(line_id))
    page.fill("#goodwill-quantity", "1")
    page.fill("#goodwill-reason", "顾客反映有一份品质不佳，部分退款")
    page.click("#goodwill-form button[type=submit]")
    page.wait_for_selector("#refund-result")
    assert "已退款" in page.inner_text("#refund-result")
    assert page.locator("#tracking tr").count() == rows + 1
    assert "售后" in page.inner_text("#tracking tr >> nth=-1")
    assert _refunded(served, line_id) == before + 1
    context.close()
