"""The pick list PostgreSQL renders (JSON and CSV) is byte for byte the reference built in Python from PickList:
several deals and shoppers, a shortage refund and a fully refunded line, an order left with no active unit, a
delivery to a recipient, other statuses, a missing pickup code, and names, phones and product names that need
trimming, escaping, quoting or a non-mobile mask."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.accounts.models import User
from groupbuy.db import db, transaction
from groupbuy.orders.enums import RefundReason
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.pick_list_formats import CSV, JSON, pick_list_response
from groupbuy.orders.service import pick_list, refund_lines, rendered_pick_list
from tests.factories.desk import PICKUP, Desk
from tests.factories.market import T0, Shop
from tests.jobs.conftest import pay, place

LATER = T0 + timedelta(hours=11)
URL = f"/api/v1/leader/pick-list?pickup_date={PICKUP.isoformat()}"
# (nickname, phone) of each shopper: whitespace str.strip() takes off, JSON escapes, CSV quotes, masks of all kinds
PEOPLE = [
    ("  王小明\u3000", "13912345678"),
    ('"引号", 逗号', "+85291234567"),
    ("a\x01b\tc\\d", "1391234567"),
    ("", "13800001111\n"),
    ("\u2028\u00a0", None),
    ("😀表情", "12"),
    ("Zoë", "19912345678"),
]


def _line(order_id: int, deal_id: int) -> int:
    return db.session.scalars(
        select(OrderLine.id).where(OrderLine.order_id == order_id, OrderLine.deal_id == deal_id)
    ).one()


def _world(shop: Shop, desk: Desk, app: Flask, client: FlaskClient) -> list[int]:
    apples, eggs, rice = shop.deal(price_fen=1990), shop.deal(price_fen=650), shop.deal(price_fen=5178)
    users = [shop.shopper() for _ in PEOPLE]
    orders = [
        desk.paid_order(users[0], apples, 3, **{str(eggs): 2}),
        desk.paid_order(users[1], eggs, 1, **{str(rice): 4, str(apples): 1}),
        desk.paid_order(users[2], rice, 2),
        desk.paid_order(users[3], apples, 1),
        desk.paid_order(users[4], eggs, 5, **{str(apples): 2}),
        desk.paid_order(users[5], rice, 1),
        desk.paid_order(users[6], apples, 2),
        desk.paid_order(users[0], eggs, 1),  # the same shopper twice
    ]
    place(app, users[1], rice, 3)  # never paid: not on the list
    desk.paid_order(desk.other_leader().shopper, apples, 4)  # another leader's
    shop.offer_delivery(fee_fen=300)
    body = {"items": [{"deal_id": rice, "quantity": 2}], "fulfilment": "delivery", "address_id": shop.address(users[6])}
    with clock.frozen(T0):
        placed = client.post("/api/v1/orders", json=body, headers=shop.key(users[6]))
    assert placed.status_code == 201, placed.json
    pay(app, placed.json["id"])
    orders.append(placed.json["id"])
    desk.close_groups()
    with app.app_context(), clock.frozen(LATER):
        shortage = [(_line(orders[0], apples), 1)]
        refund_lines(order_id=orders[0], lines=shortage, reason=RefundReason.SHORTAGE, actor="test", now=LATER)
        gone = [(_line(orders[1], rice), 4)]  # a whole line refunded: off the list, the order's other lines stay
        refund_lines(order_id=orders[1], lines=gone, reason=RefundReason.SHORTAGE, actor="test", now=LATER)
        empty = [(_line(orders[7], eggs), 1)]  # the order's only line: the order leaves the list
        refund_lines(order_id=orders[7], lines=empty, reason=RefundReason.SHORTAGE, actor="test", now=LATER)
    with app.app_context(), transaction():
        for user, (nickname, phone) in zip(users, PEOPLE, strict=True):
            db.session.execute(update(User).where(User.id == user.id).values(nickname=nickname, phone=phone))
        db.session.execute(update(Order).where(Order.id == orders[2]).values(status="confirmed"))
        db.session.execute(update(Order).where(Order.id == orders[3]).values(status="ready_for_pickup"))
        db.session.execute(update(Order).where(Order.id == orders[4]).values(pickup_code=None))
        named = {orders[0]: 'Apple, "Fuji"\r\nbox', orders[2]: "稻花香\\大米"}
        for order_id, name in named.items():  # the deal's smallest snapshot names it on the list
            db.session.execute(update(OrderLine).where(OrderLine.order_id == order_id).values(product_name=name))
        db.session.execute(update(OrderLine).where(OrderLine.order_id == orders[3]).values(spec="5\t斤 \x7f"))
    return orders


@pytest.mark.pg
def test_postgresql_renders_the_same_json_and_csv_as_the_reference(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    orders = _world(shop, desk, app, client)
    for accept, language in ((JSON, "zh"), (CSV, "zh"), (CSV, "en")):
        headers = {**desk.headers, "Accept": accept, "Accept-Language": language}
        with clock.frozen(LATER):
            served = client.get(URL, headers=headers)
        assert served.status_code == 200
        with app.test_request_context(URL, headers=headers):
            assert rendered_pick_list(user_id=desk.leader_user_id, pickup_date=PICKUP) is not None  # the SQL path
            reference = pick_list_response(pick_list(user_id=desk.leader_user_id, pickup_date=PICKUP), accept)
        assert served.get_data() == reference.get_data(), accept
        assert served.headers["Content-Type"] == reference.headers["Content-Type"]
        assert served.headers.get("Content-Disposition") == reference.headers.get("Content-Disposition")
    body = client.get(URL, headers=desk.headers).json
    assert body["total_orders"] == len(orders) - 1 == len(body["shoppers"])  # orders[7] has no active unit left
    masked = {(s["name"], s["phone"]) for s in body["shoppers"]}
    assert masked >= {("王**", "139****5678"), ('"*******', "**********67"), ("a******", "********67")}
    assert masked >= {("", "138****111\n"), ("", None), ("😀**", "12"), ("Z**", "199****5678")}
    assert len(body["deals"]) == 3


@pytest.mark.pg
def test_an_empty_day_renders_like_the_reference(shop: Shop, desk: Desk, client: FlaskClient, app: Flask) -> None:
    for accept in (JSON, CSV):
        headers = {**desk.headers, "Accept": accept}
        served = client.get(URL, headers=headers)
        with app.test_request_context(URL, headers=headers):
            reference = pick_list_response(pick_list(user_id=desk.leader_user_id, pickup_date=PICKUP), accept)
        assert served.get_data() == reference.get_data()


@pytest.mark.pg
def test_a_kept_pick_list_is_rendered_again_after_any_change_to_its_rows(
    shop: Shop, desk: Desk, client: FlaskClient, app: Flask
) -> None:
    apples, eggs = shop.deal(), shop.deal()
    ann, bob = shop.shopper(), shop.shopper()
    first = desk.paid_order(ann, apples, 3, **{str(eggs): 1})
    desk.paid_order(bob, eggs, 2)
    csv_headers = {**desk.headers, "Accept": "text/csv"}

    def served() -> tuple[dict[str, object], bytes]:
        with app.test_request_context(URL, headers=desk.headers):
            reference = pick_list_response(pick_list(user_id=desk.leader_user_id, pickup_date=PICKUP), JSON)
        json_body = client.get(URL, headers=desk.headers)
        assert json_body.get_data() == reference.get_data()  # what is served is always the current list
        return json_body.json, client.get(URL, headers=csv_headers).get_data()

    before, before_csv = served()
    assert served() == (before, before_csv)  # kept: the same answer again
    with app.app_context(), transaction():
        db.session.execute(update(User).where(User.id == bob.id).values(nickname="Robert"))
    renamed, renamed_csv = served()
    assert "R*****" in {s["name"] for s in renamed["shoppers"]} and renamed_csv != before_csv  # type: ignore[index]
    with app.app_context(), clock.frozen(LATER):
        line = _line(first, apples)
        refund_lines(order_id=first, lines=[(line, 1)], reason=RefundReason.SHORTAGE, actor="test", now=LATER)
    refunded, _ = served()
    assert refunded["total_units"] == before["total_units"] - 1  # type: ignore[operator]
    desk.paid_order(shop.shopper(), apples, 2)
    more, _ = served()
    assert more["total_orders"] == 3 and more["total_units"] == refunded["total_units"] + 2  # type: ignore[operator]
    with app.app_context(), transaction():
        db.session.execute(update(Order).where(Order.id == first).values(pickup_code="00000000"))
    recoded, _ = served()
    assert recoded["shoppers"][0]["order_id"] == first  # type: ignore[index]
