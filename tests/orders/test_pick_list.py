"""The pick list of a pickup date: only active units of the leader's own live orders, as JSON, CSV (UTF-8 with
a BOM for Excel) and a printable page; its totals are checked against the order lines in SQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.orders.enums import LineStatus, RefundReason
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.service import refund_lines
from groupbuy.orders.states import PICK_LIST_STATES
from tests.factories.desk import PICKUP, Desk
from tests.factories.market import T0, Shop
from tests.jobs.conftest import pay, place

LATER = T0 + timedelta(hours=11)
URL = f"/api/v1/leader/pick-list?pickup_date={PICKUP.isoformat()}"


def _active_units_in_sql(app: Flask, leader_id: int) -> dict[int, int]:
    """{deal_id: active units} straight from the order lines of the leader's live paid orders that day."""
    with app.app_context():
        rows = db.session.execute(
            select(OrderLine.deal_id, func.sum(OrderLine.quantity - OrderLine.refunded_quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.leader_id == leader_id,
                Order.pickup_date == PICKUP,
                Order.status.in_(sorted(PICK_LIST_STATES)),
                OrderLine.status == LineStatus.ACTIVE,
            )
            .group_by(OrderLine.deal_id)
        )
        return {deal_id: int(units) for deal_id, units in rows}


def _world(shop: Shop, desk: Desk, app: Flask) -> dict[str, int]:
    apples, soy = shop.deal(price_fen=1990), shop.deal(price_fen=5178)
    first = desk.paid_order(shop.shopper(), apples, 3, **{str(soy): 1})
    second = desk.paid_order(shop.shopper(), apples, 2)
    place(app, shop.shopper(), soy, 4)  # never paid: not on the list
    other = desk.other_leader()
    theirs = desk.paid_order(other.shopper, apples, 1)
    desk.close_groups()
    with app.app_context(), clock.frozen(LATER):
        apple_line = db.session.scalars(
            select(OrderLine.id).where(OrderLine.order_id == first, OrderLine.deal_id == apples)
        ).one()
        refund_lines(order_id=first, lines=[(apple_line, 1)], reason=RefundReason.SHORTAGE, actor="test", now=LATER)
    return {"apples": apples, "soy": soy, "first": first, "second": second, "theirs": theirs, "other": other.leader_id}


def test_pick_list_totals_equal_the_active_order_lines(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    world = _world(shop, desk, app)
    with clock.frozen(LATER):
        pick = client.get(URL, headers=desk.headers)
    assert pick.status_code == 200 and pick.mimetype == "application/json"
    body = pick.json
    in_sql = _active_units_in_sql(app, shop.leader_id)
    assert in_sql == {world["apples"]: 4, world["soy"]: 1}  # 3 - 1 refunded + 2 apples; 1 soy
    assert {d["deal_id"]: d["units"] for d in body["deals"]} == in_sql
    assert body["total_units"] == sum(in_sql.values()) == sum(s["units"] for s in body["shoppers"])
    assert body["total_orders"] == 2
    assert {s["order_id"] for s in body["shoppers"]} == {world["first"], world["second"]}
    with app.app_context():
        codes = {
            r.id: r.pickup_code
            for r in db.session.execute(select(Order.id, Order.pickup_code).where(Order.leader_id == shop.leader_id))
        }
    for shopper in body["shoppers"]:
        assert shopper["pickup_code"] == codes[shopper["order_id"]]
        assert "*" in shopper["name"] and shopper["phone"][3:7] == "****"
        assert sum(line["quantity"] for line in shopper["lines"]) == shopper["units"]
    first = next(s for s in body["shoppers"] if s["order_id"] == world["first"])
    assert {line["deal_id"]: line["quantity"] for line in first["lines"]} == {world["apples"]: 2, world["soy"]: 1}


def test_pick_list_as_csv_with_a_bom_and_as_a_printable_page(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    _world(shop, desk, app)
    with clock.frozen(LATER):
        as_csv = client.get(URL, headers={**desk.headers, "Accept": "text/csv"})
        as_html = client.get(URL, headers={**desk.headers, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        page = client.get(f"/api/v1/leader/pick-list.html?pickup_date={PICKUP.isoformat()}", headers=desk.headers)
        as_json = client.get(URL, headers={**desk.headers, "Accept": "*/*"}).json
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert as_csv.data.startswith(b"\xef\xbb\xbf")
    assert as_csv.headers["Content-Disposition"] == 'attachment; filename="pick-list-2026-11-23.csv"'
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    assert rows[0] == ["商品", "规格", "件数", "订单数"]
    blank = rows.index([])
    assert sum(int(r[2]) for r in rows[1:blank]) == as_json["total_units"]
    assert rows[blank + 1][0] == "提货码"
    assert sum(int(r[6]) for r in rows[blank + 2 :]) == as_json["total_units"]
    assert {r[0] for r in rows[blank + 2 :]} == {s["pickup_code"] for s in as_json["shoppers"]}
    for html in (as_html, page):
        assert html.status_code == 200 and html.mimetype == "text/html"
        text = html.get_data(as_text=True)
        assert "@media print" in text and all(s["pickup_code"] in text for s in as_json["shoppers"])
        assert "<td>已支付</td>" in text and "<td>paid</td>" not in text  # statuses in words, not enum values
        nonce = html.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert f'nonce="{nonce}"' in text


def test_a_leader_sees_only_their_own_pick_list(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    world = _world(shop, desk, app)
    other_headers = desk.other_leader().headers  # a third leader: nothing that day
    with clock.frozen(LATER):
        mine = client.get(URL, headers=desk.headers).json
        empty = client.get(URL, headers=other_headers).json
        shopper = client.get(URL, headers=shop.auth(shop.shopper()))
    assert world["theirs"] not in {s["order_id"] for s in mine["shoppers"]}
    assert (empty["total_units"], empty["shoppers"], empty["deals"]) == (0, [], [])
    assert shopper.status_code == 403
    assert _active_units_in_sql(app, world["other"]) == {world["apples"]: 1}


def test_a_delivery_order_shows_its_masked_recipient(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    deal, buyer = shop.deal(), shop.shopper()
    shop.offer_delivery(fee_fen=300)
    body = {"items": [{"deal_id": deal, "quantity": 2}], "fulfilment": "delivery", "address_id": shop.address(buyer)}
    with clock.frozen(T0):
        placed = client.post("/api/v1/orders", json=body, headers=shop.key(buyer))
    assert placed.status_code == 201, placed.json
    pay(app, placed.json["id"])
    with clock.frozen(LATER):
        (entry,) = client.get(URL, headers=desk.headers).json["shoppers"]
    assert (entry["fulfilment"], entry["name"], entry["phone"], entry["units"]) == ("delivery", "张*", "139****5678", 2)
