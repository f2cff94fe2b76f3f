"""The customer-service console: CS logs in through the one login form and lands on /console/; shoppers and
leaders get a 403 page on every console page; forms without the session's CSRF token are refused; order search,
the order page with its goodwill form, account suspension and the audit trail work through the pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.enums import UserStatus
from groupbuy.accounts.models import User
from groupbuy.aftersales.enums import DisputeStatus
from groupbuy.aftersales.models import Dispute
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.orders.models import Order, OrderLine
from tests.aftersales.conftest import SOON
from tests.cs.conftest import World, build_world, received_dispute
from tests.factories.market import T0, Shop
from tests.web.conftest import csrf_of, leader_phone, log_in

PAGES = [
    "/console/",
    "/console/orders/{order}",
    "/console/accounts",
    "/console/audit",
    "/console/disputes",
    "/console/disputes/1",
]
FORMS = [
    "/console/orders/{order}/goodwill-refund",
    "/console/accounts/{shopper}/suspend",
    "/console/logout",
    "/console/disputes/1/resolve",
]


@pytest.fixture
def world(app: Flask, shop: Shop) -> World:
    return build_world(app, shop)


def _cs_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    with clock.frozen(T0):
        answer = log_in(client, "13800000002")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/")
    return client


def _fill(path: str, w: World) -> str:
    return path.format(order=w.order_id, shopper=w.shopper.id)


def test_cs_login_lands_on_the_console_with_a_strict_httponly_cookie(app: Flask, world: World) -> None:
    client = _cs_client(app)
    cookie = client.get_cookie("gb_console", path="/console")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    with clock.frozen(T0):
        home = client.get("/console/")
    assert home.status_code == 200 and "订单查询" in home.text
    assert "nonce-" in home.headers["Content-Security-Policy"] and home.headers["Cache-Control"] == "no-store"
    assert "http://" not in re.sub(r'href="http://[^"]*"', "", home.text.split("<main>")[1])  # no outside assets


def test_no_session_goes_to_the_login_page(client: FlaskClient, world: World) -> None:
    answer = client.get("/console/audit?object_type=user")
    assert answer.status_code == 302 and "/workbench/login" in answer.headers["Location"]
    assert "console" in answer.headers["Location"]


@pytest.mark.parametrize("who", ["shopper", "leader"])
def test_shoppers_and_leaders_get_403_on_every_console_page(app: Flask, world: World, who: str) -> None:
    client = app.test_client()
    with clock.frozen(T0):
        if who == "leader":
            assert log_in(client, leader_phone(app, world.shop)).status_code == 302
        assert client.get_cookie("gb_console", path="/console") is None  # a leader gets no console cookie
        # even carrying a live token of theirs in the console's cookie, the gate refuses the role
        raw = world.leader_headers if who == "leader" else world.shopper_headers
        client.set_cookie("gb_console", raw["Authorization"].removeprefix("Bearer "), path="/console")
        for path in PAGES:
            answer = client.get(_fill(path, world))
            assert answer.status_code == 403, (who, path)
            assert "客服后台仅供客服与管理员使用" in answer.text
        for path in FORMS:
            assert client.post(_fill(path, world), data={"reason": "x"}).status_code == 403, (who, path)


def test_forms_without_the_csrf_token_are_refused(app: Flask, world: World) -> None:
    client = _cs_client(app)
    with clock.frozen(T0):
        for path in FORMS:
            answer = client.post(
                _fill(path, world), data={"line_id": world.line_id, "quantity": 1, "reason": "x", "csrf_token": "no"}
            )
            assert answer.status_code == 400 and "页面已过期" in answer.text, path
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
        assert db.session.get_one(User, world.shopper.id).status is UserStatus.ACTIVE


def test_search_finds_orders_by_number_and_phone(app: Flask, world: World) -> None:
    client = _cs_client(app)
    with app.app_context():
        phone = db.session.get_one(User, world.shopper.id).phone
    with clock.frozen(T0):
        by_no = client.get(f"/console/?order_no={world.order_no}")
        by_phone = client.get(f"/console/?phone={phone}")
        nothing = client.get("/console/?order_no=GB000")
        bad = client.get("/console/?phone=123")
    assert by_no.status_code == 200 and f'href="/console/orders/{world.order_id}"' in by_no.text
    assert world.order_no in by_phone.text and phone not in by_phone.text  # masked
    assert 'id="search-total">共 0 单' in nothing.text
    assert 'id="search-error"' in bad.text and "phone" in bad.text


def test_goodwill_form_refunds_units_and_the_tracking_shows_it(app: Flask, world: World) -> None:
    client = _cs_client(app)
    with clock.frozen(T0):
        view = client.get(f"/console/orders/{world.order_id}")
        assert view.status_code == 200 and 'id="goodwill-form"' in view.text
        form = {"csrf_token": csrf_of(view.text), "line_id": world.line_id, "quantity": 1, "reason": "有磕碰"}
        done = client.post(f"/console/orders/{world.order_id}/goodwill-refund", data=form)
        assert done.status_code == 302 and "refunded=1000" in done.headers["Location"]
        after = client.get(done.headers["Location"])
        too_many = client.post(f"/console/orders/{world.order_id}/goodwill-refund", data={**form, "quantity": 5})
        kept = client.post(f"/console/orders/{world.order_id}/goodwill-refund", data={**form, "amount_yuan": "2.5"})
        typo = client.post(f"/console/orders/{world.order_id}/goodwill-refund", data={**form, "amount_yuan": "2,5"})
    assert 'id="refund-result"' in after.text and "¥10.00" in after.text
    assert kept.status_code == 302 and "refunded=250" in kept.headers["Location"]
    assert typo.status_code == 422 and 'id="refund-error"' in typo.text
    assert "售后" in after.text.split('id="tracking"')[1]  # the line refund's timeline row
    assert too_many.status_code == 409 and 'id="refund-error"' in too_many.text
    with app.app_context():
        assert db.session.get_one(OrderLine, world.line_id).refunded_quantity == 1


def test_suspend_and_reinstate_through_the_accounts_page(app: Flask, world: World) -> None:
    client = _cs_client(app)
    with clock.frozen(T0):
        found = client.get(f"/console/accounts?q={world.shopper.id}")
        form = {"csrf_token": csrf_of(found.text), "reason": "恶意下单"}
        done = client.post(f"/console/accounts/{world.shopper.id}/suspend", data=form)
        after = client.get(done.headers["Location"])
        outranked = client.post(f"/console/accounts/{world.cs_id}/suspend", data=form)
        trail = client.get(f"/console/audit?object_type=user&object_id={world.shopper.id}")
    assert done.status_code == 302 and 'id="account-result"' in after.text and "已停用" in after.text
    assert outranked.status_code == 403
    assert "user.suspended" in trail.text and "恶意下单" in trail.text
    with app.app_context():
        assert db.session.get_one(User, world.shopper.id).status is UserStatus.SUSPENDED


def test_dispute_queue_shows_sla_badges(app: Flask, world: World) -> None:
    _, dispute_id = received_dispute(world)
    client = _cs_client(app)
    with app.app_context():
        due = db.session.get_one(Dispute, dispute_id).sla_due_at
    with clock.frozen(SOON):
        fresh = client.get("/console/disputes")
    with clock.frozen(due - timedelta(hours=2)):
        soon = client.get("/console/disputes")
    with clock.frozen(due + timedelta(minutes=1)):
        late = client.get("/console/disputes")
        resolved = client.get("/console/disputes?status=resolved")
    assert f'data-dispute-id="{dispute_id}"' in fresh.text
    assert "即将超时" not in fresh.text and "已超时" not in fresh.text
    assert "即将超时" in soon.text and "已超时" in late.text
    assert f'data-dispute-id="{dispute_id}"' not in resolved.text


def test_case_view_decides_a_partial_refund_and_the_tracking_shows_it(app: Flask, world: World) -> None:
    order_id, dispute_id = received_dispute(world)
    client = _cs_client(app)
    with clock.frozen(SOON):
        case = client.get(f"/console/disputes/{dispute_id}")
        assert case.status_code == 200 and 'id="decide-form"' in case.text
        assert "收到的水果有一半坏了" in case.text and "取货时检查过，没有问题" in case.text  # both sides
        form = {
            "csrf_token": csrf_of(case.text),
            "decision": "refund",
            "refund_yuan": "5.50",
            "responsibility": "leader",
            "note": "部分退款",
        }
        bad = client.post(f"/console/disputes/{dispute_id}/resolve", data={**form, "refund_yuan": "5,5"})
        too_much = client.post(f"/console/disputes/{dispute_id}/resolve", data={**form, "refund_yuan": "999"})
        done = client.post(f"/console/disputes/{dispute_id}/resolve", data=form)
        after = client.get(done.headers["Location"])
        again = client.post(f"/console/disputes/{dispute_id}/resolve", data=form)
        order_page = client.get(f"/console/orders/{order_id}")
    assert bad.status_code == 422 and 'id="resolve-error"' in bad.text
    assert too_much.status_code == 409 and 'id="resolve-error"' in too_much.text
    assert done.status_code == 302 and "resolved=1" in done.headers["Location"]
    assert 'id="resolve-result"' in after.text and "¥5.50" in after.text and 'id="decide-form"' not in after.text
    assert again.status_code == 409
    assert "售后" in order_page.text.split('id="tracking"')[1]
    with app.app_context():
        dispute = db.session.get_one(Dispute, dispute_id)
        assert dispute.status is DisputeStatus.RESOLVED and dispute.refund_fen == 550
        order = db.session.get_one(Order, order_id)
        assert order.refund_due_fen == 550 and order.payable_fen + order.refund_due_fen == order.paid_fen
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "dispute.resolve")) == 1
