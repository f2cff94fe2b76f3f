"""Today at a glance and the 7/30-day figures, checked against what the database holds."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.notifications.models import Notification
from groupbuy.orders.enums import OrderStatus, RefundReason
from groupbuy.orders.models import Order
from groupbuy.orders.service import refund_lines
from tests.factories.market import T0, Shop
from tests.jobs.conftest import pay, place
from tests.web.conftest import csrf_of, leader_phone, log_in, open_groups


def _stat(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert found, element_id
    return found.group(1)


def test_today_shows_open_groups_with_progress_countdown_and_qr_and_the_counts(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    slow, quick = shop.deal(min_group_quantity=4), shop.deal(min_group_quantity=1)
    slow_group, _quick_group = open_groups(shop, slow, quick)
    buyer = shop.shopper()
    pay(app, place(app, buyer, slow, 3))
    with clock.frozen(T0 + timedelta(minutes=5)):
        log_in(client, leader_phone(app, shop))
        html = client.get("/workbench/").text
    assert html.count('class="card group"') == 2
    card = html[html.index(f'data-group-id="{slow_group}"') :]
    assert f'src="/api/v1/groups/{slow_group}/qr.svg"' in card and 'width="75"' in card  # 3 of 4 paid
    assert "已付 3 / 成团 4" in card and "9小时55分" in card
    assert _stat(html, "to-confirm") == "0"  # its group is still open
    pay(app, place(app, shop.shopper(), slow, 1))
    shop.close_groups(at=shop.cutoff)  # slow: 4 of 4, succeeded; quick: nobody paid, failed
    with clock.frozen(shop.cutoff + timedelta(minutes=1)):
        html = client.get("/workbench/").text
    assert _stat(html, "to-confirm") == "2" and html.count('class="card group"') == 1 and "已成团" in html
    qr = client.get(f"/api/v1/groups/{slow_group}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


def test_another_leaders_groups_never_show(app: Flask, client: FlaskClient, shop: Shop) -> None:
    from groupbuy.groups.enums import GroupOpenedBy
    from groupbuy.groups.service import open_group
    from tests.factories.leaders import make_leader

    deal = shop.deal()
    with app.app_context():
        other = make_leader().id
        theirs = open_group(leader_id=other, deal_id=deal, opened_by=GroupOpenedBy.LEADER, now=T0)[0].id
    with clock.frozen(T0):
        log_in(client, leader_phone(app, shop))
        html = client.get("/workbench/").text
    assert f'data-group-id="{theirs}"' not in html and "暂无进行中的团" in html


def test_figures_for_7_and_30_days_match_the_database(app: Flask, client: FlaskClient, shop: Shop) -> None:
    deal = shop.deal(price_fen=1000)
    (group_id,) = open_groups(shop, deal)
    ann, bob = shop.shopper(), shop.shopper()
    first = place(app, ann, deal, 2)
    pay(app, first)  # ¥20.00 at T0 + 1 min
    pay(app, place(app, ann, deal, 1))  # ¥10.00
    pay(app, place(app, bob, deal, 3))  # ¥30.00
    with app.app_context():
        line = db.session.get_one(Order, first).lines[0]
        refund_lines(order_id=first, lines=[(line.id, 1)], reason=RefundReason.SHORTAGE, actor="test", now=T0)
        gmv = int(db.session.scalar(select(func.sum(Order.paid_fen)).where(Order.leader_id == shop.leader_id)) or 0)
    assert gmv == 6000
    visitor = app.test_client()
    with clock.frozen(T0 - timedelta(days=10)):  # outside the 7 days, inside the 30
        visitor.get(f"/groups/{group_id}")
        visitor.get(f"/groups/{group_id}/seen.gif")
    with clock.frozen(T0):
        visitor.get(f"/groups/{group_id}")
        visitor.get(f"/groups/{group_id}/seen.gif")
        app.test_client(use_cookies=False).get(f"/groups/{group_id}")
        log_in(client, leader_phone(app, shop))
        week = client.get("/workbench/figures").text
        month = client.get("/workbench/figures?days=30").text
        english = client.get("/workbench/figures?days=30", headers={"Accept-Language": "en"}).text
    assert [_stat(week, i) for i in ("fig-visitors", "fig-views", "fig-orders", "fig-buyers", "fig-gmv")] == [
        "1",
        "2",
        "3",
        "2",
        "¥60.00",
    ]
    assert _stat(week, "fig-refund-rate") == "16.7%"  # ¥10.00 of ¥60.00 refunded
    assert [_stat(month, i) for i in ("fig-visitors", "fig-views")] == ["2", "3"]
    assert '<svg class="chart" id="chart"' in month and month.count("<rect ") == 30 and "<polyline" in month
    assert "Refund rate" in english and "Last 30 days" in english


def test_confirm_all_confirms_the_waiting_orders_and_tells_their_shoppers(
    app: Flask, client: FlaskClient, shop: Shop
) -> None:
    deal, failing = shop.deal(), shop.deal(min_group_quantity=50)
    orders = [place(app, shop.shopper(), deal, 1) for _ in range(3)]
    for order_id in orders[:2]:
        pay(app, order_id)
    pay(app, place(app, shop.shopper(), failing, 1))
    shop.close_groups(at=shop.cutoff)
    after = shop.cutoff + timedelta(minutes=5)
    with clock.frozen(after):
        log_in(client, leader_phone(app, shop))
        page = client.get("/workbench/").text
        assert _stat(page, "to-confirm") == "2" and 'id="confirm-box"' in page
        assert client.post("/workbench/orders/confirm", data={}).status_code == 400  # no CSRF token
        done = client.post("/workbench/orders/confirm", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 200 and "已确认 2 单" in done.text and _stat(done.text, "to-confirm") == "0"
    with app.app_context():
        statuses = [db.session.get_one(Order, o).status for o in orders]
        told = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "order_confirmed")
        )
    assert statuses == [OrderStatus.CONFIRMED, OrderStatus.CONFIRMED, OrderStatus.PENDING_PAYMENT]
    assert told == 2
