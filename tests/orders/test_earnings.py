"""Earnings: the leader's commission per order on the net (paid minus refunds granted), rounded down to the
fen per order; day and period totals are sums of those amounts."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.db import db, transaction
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import RefundReason
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.service import commission_fen, refund_lines
from tests.factories.desk import PICKUP, Desk
from tests.factories.market import T0, Shop

LATER = T0 + timedelta(hours=11)
APPLES, SOY = 1990, 5178
URL = f"/api/v1/leader/earnings?from={PICKUP.isoformat()}&to={PICKUP.isoformat()}"


def test_commission_after_a_partial_refund_is_on_the_net(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    apples, soy = shop.deal(price_fen=APPLES), shop.deal(price_fen=SOY)
    order_id = desk.paid_order(shop.shopper(), apples, 2, **{str(soy): 1})  # 2 x 19.90 + 51.78 = 91.58
    not_confirmed = desk.paid_order(shop.shopper(), apples, 1)  # paid, never confirmed: earns nothing yet
    desk.close_groups()
    with clock.frozen(LATER):
        assert client.post(f"/api/v1/leader/orders/{order_id}/confirm", headers=desk.headers).status_code == 200
    with app.app_context(), clock.frozen(LATER):
        line = db.session.scalars(
            select(OrderLine.id).where(OrderLine.order_id == order_id, OrderLine.deal_id == apples)
        ).one()
        refund_lines(order_id=order_id, lines=[(line, 1)], reason=RefundReason.SHORTAGE, actor="test", now=LATER)
        order = db.session.get_one(Order, order_id)
        assert (order.paid_fen, order.refund_due_fen) == (9158, 1990)
    with clock.frozen(LATER):
        body = client.get(URL, headers=desk.headers).json
    (item,) = body["orders"]["items"]
    assert (item["order_id"], item["paid_fen"], item["refunded_fen"], item["net_fen"]) == (order_id, 9158, 1990, 7168)
    assert item["commission_fen"] == 716  # 7168 x 10 % = 716.8, rounded down
    assert item["earning"] == "pending" and item["status"] == "confirmed"
    assert body["commission_rate_bp"] == 1000
    assert body["totals"] == {"orders": 1, "net_fen": 7168, "commission_fen": 716, "earned_fen": 0, "pending_fen": 716}
    assert body["days"] == [{"date": PICKUP.isoformat(), **body["totals"]}]
    assert not_confirmed not in {i["order_id"] for i in body["orders"]["items"]}


def test_totals_are_sums_of_rounded_orders_and_only_mine(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal(price_fen=333)
    mine = [desk.paid_order(shop.shopper(), deal, q) for q in (1, 2, 3)]
    other = desk.other_leader()
    theirs = desk.paid_order(other.shopper, deal, 5)
    desk.close_groups()
    with app.app_context(), transaction():
        db.session.execute(update(Leader).where(Leader.id == shop.leader_id).values(commission_rate_bp=1234))
    with clock.frozen(LATER):
        client.post("/api/v1/leader/orders/confirm", json={"order_ids": [*mine, theirs]}, headers=desk.headers)
        client.post("/api/v1/leader/orders/confirm", json={"order_ids": [theirs]}, headers=other.headers)
        body = client.get(URL, headers=desk.headers).json
        others = client.get(URL, headers=other.headers).json
    per_order = [commission_fen(333 * q, 1234) for q in (1, 2, 3)]
    assert per_order == [41, 82, 123]  # 41.09, 82.18, 123.27: each rounded down
    assert sorted(i["commission_fen"] for i in body["orders"]["items"]) == per_order
    assert body["totals"]["commission_fen"] == sum(per_order) == 246
    assert {i["order_id"] for i in body["orders"]["items"]} == set(mine)
    assert [i["order_id"] for i in others["orders"]["items"]] == [theirs]


def test_the_period_is_checked(desk: Desk, client: FlaskClient) -> None:
    with clock.frozen(LATER):
        backwards = client.get("/api/v1/leader/earnings?from=2026-11-23&to=2026-11-01", headers=desk.headers)
        too_long = client.get("/api/v1/leader/earnings?from=2026-01-01&to=2026-11-23", headers=desk.headers)
        default = client.get("/api/v1/leader/earnings", headers=desk.headers)
    assert backwards.status_code == too_long.status_code == 422
    assert backwards.json["errors"] == {"to": ["结束日期不能早于开始日期"]}
    assert too_long.json["errors"] == {"from": ["最多 92 天"]}
    assert default.status_code == 200
    # today in Shanghai is 2026-11-22: the last 30 days and the coming week's pickups
    assert (default.json["from"], default.json["to"]) == ("2026-10-24", "2026-11-29")
