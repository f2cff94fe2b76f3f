"""The workbench pick list: the leader API's pick list on the cookie session, with its CSV and printable page."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.orders.enums import LineStatus
from groupbuy.orders.models import Order, OrderLine
from tests.factories.market import T0, Shop
from tests.jobs.conftest import pay, place
from tests.web.conftest import leader_phone, log_in


def test_pick_list_page_csv_and_print_for_a_day(app: Flask, client: FlaskClient, shop: Shop) -> None:
    apples, eggs = shop.deal(), shop.deal()
    ann, bob = shop.shopper(), shop.shopper()
    pay(app, place(app, ann, apples, 2, **{str(eggs): 1}))
    pay(app, place(app, bob, apples, 3))
    place(app, bob, eggs, 5)  # unpaid: not on the list
    with app.app_context():
        active_units = db.session.scalar(
            select(func.sum(OrderLine.quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.paid_at.is_not(None), OrderLine.status == LineStatus.ACTIVE)
        )
    assert active_units == 6
    with clock.frozen(T0):
        log_in(client, leader_phone(app, shop))
        html = client.get("/workbench/pick-list?pickup_date=2026-11-23").text
        csv = client.get("/workbench/pick-list.csv?pickup_date=2026-11-23")
        printable = client.get("/workbench/pick-list/print?pickup_date=2026-11-23")
        empty = client.get("/workbench/pick-list?pickup_date=2026-11-24").text
        anonymous = FlaskClient(app).get("/workbench/pick-list.csv?pickup_date=2026-11-23")
    assert "共 2 单 · 6 件" in html and 'id="print-pick-list"' in html and 'id="csv-pick-list"' in html
    assert "/workbench/pick-list/print?pickup_date=2026-11-23" in html
    assert (
        csv.mimetype == "text/csv"
        and csv.data.startswith("\ufeff".encode())
        and csv.headers["Cache-Control"] == "no-store"
    )
    assert printable.mimetype == "text/html" and "分拣单" in printable.text and "共 2 单 6 件" in printable.text
    assert "这一天没有待分拣的订单" in empty
    assert anonymous.status_code == 302
