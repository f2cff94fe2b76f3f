"""A leader's morning in a real browser: log in, see a group card with its QR, open the pick list, verify a
pickup code and watch the counter move (and a second try of the same code refused)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.demo import DEMO_PASSWORD, LEADER_PHONES
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from tests.browser.conftest import ServedApp

pytestmark = pytest.mark.browser


def _ready_code(served: ServedApp) -> tuple[int, str]:
    """One of the demo leader's orders waiting at the counter, and its code (what the shopper shows)."""
    with served.app.app_context():
        leader_id = db.session.scalar(
            select(Leader.id).join(User, User.id == Leader.user_id).where(User.phone == LEADER_PHONES[0])
        )
        order = db.session.execute(
            select(Order.id, Order.pickup_code)
            .where(Order.leader_id == leader_id, Order.status == OrderStatus.READY_FOR_PICKUP)
            .order_by(Order.id)
            .limit(1)
        ).one()
        db.session.remove()
        return order.id, str(order.pickup_code)


def _status(served: ServedApp, order_id: int) -> OrderStatus:
    with served.app.app_context():
        status = db.session.scalar(select(Order.status).where(Order.id == order_id))
        db.session.remove()
        return OrderStatus(status)


def test_leader_logs_in_sees_a_group_qr_opens_the_pick_list_and_verifies_a_code(
    served: ServedApp, chromium: Any
) -> None:
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{served.base_url}/workbench/")
    assert page.url.startswith(f"{served.base_url}/workbench/login")
    page.fill("#login", LEADER_PHONES[0])
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served.base_url}/workbench/")
    session_cookie = next(c for c in context.cookies() if c["name"] == "gb_workbench")
    assert session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("gb_workbench") == -1  # no script can read the token

    card = page.locator(".card.group").first
    card.wait_for()
    qr = card.locator("img.qr")
    qr.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())

    page.click("header a[href='/workbench/pick-list']")
    page.wait_for_url(f"{served.base_url}/workbench/pick-list")
    assert page.locator("#pick-deals tr").count() > 1 and page.locator("#pick-shoppers tr").count() > 1
    assert page.locator("#print-pick-list").is_visible() and page.locator("#csv-pick-list").is_visible()
    with page.expect_download() as download:
        page.click("#csv-pick-list")
    assert download.value.suggested_filename.startswith("pick-list-")

    page.click("header a[href='/workbench/']")
    order_id, code = _ready_code(served)
    done = int(page.inner_text("#pickups-done"))
    remaining = int(page.inner_text("#pickups-remaining"))
    page.fill("#pickup-code", code)
    page.click("#pickup-box button[type=submit]")
    page.wait_for_selector("#pickup-result.ok")
    assert "核销成功" in page.inner_text("#pickup-result")
    assert int(page.inner_text("#pickups-done")) == done + 1
    assert int(page.inner_text("#pickups-remaining")) == remaining - 1
    assert _status(served, order_id) is OrderStatus.PICKED_UP

    page.fill("#pickup-code", code)  # the same code again: refused, naming when it was picked up
    page.click("#pickup-box button[type=submit]")
    page.wait_for_selector("#pickup-result.warn")
    assert "已于" in page.inner_text("#pickup-result")
    assert int(page.inner_text("#pickups-done")) == done + 1
    context.close()
