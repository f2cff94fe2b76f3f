"""The checkout's fast path kept honest: its answer is what a later GET shows, in a pinned number of statements.

`place_order` writes with prebuilt Core statements and answers from what it wrote (`PlacedOrder`), never reading
the order back. These tests fail when that shortcut drifts from the model (a column default, a field the schema
shows) or when it starts costing more round trips than the ones it exists to save.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text

from groupbuy import clock
from groupbuy.catalog.models import Deal
from groupbuy.db import AUTOCOMMIT_BIND, alone, db
from groupbuy.groups.models import Group
from groupbuy.orders.enums import Fulfilment
from groupbuy.orders.models import Order
from groupbuy.orders.service import CheckoutItem, PlacedOrder, checkout
from tests.conftest import second_app
from tests.factories.market import T0, Shop
from tests.rows import kept_answer, statements_sent

LATER = T0 + timedelta(minutes=3)  # the GET comes later: nothing in the answer may be "now" instead of stored


def _body(deals: list[int], fulfilment: str, address_id: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [{"deal_id": deal, "quantity": n} for n, deal in enumerate(deals, start=1)],
        "fulfilment": fulfilment,
    }
    if address_id is not None:
        body["address_id"] = address_id
    return body


def _checkout(shop: Shop, *, lines: int, fulfilment: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A shopper's headers and the body of an order of ``lines`` deals (1, 2, 3 … units), ready to post."""
    deals = [shop.deal(price_fen=990 + 100 * n) for n in range(lines)]
    buyer = shop.shopper()
    address = None
    if fulfilment == "delivery":
        shop.offer_delivery(fee_fen=300)
        address = shop.address(buyer)
    return shop.key(buyer), _body(deals, fulfilment, address)


@pytest.mark.parametrize("fulfilment", ["pickup", "delivery"])
@pytest.mark.parametrize("lines", [1, 3])
def test_the_checkout_answer_is_what_a_later_get_shows(
    shop: Shop, client: FlaskClient, fulfilment: str, lines: int
) -> None:
    headers, body = _checkout(shop, lines=lines, fulfilment=fulfilment)
    with clock.frozen(T0):
        posted = client.post("/api/v1/orders", json=body, headers=headers)
    assert posted.status_code == 201, posted.json
    with clock.frozen(LATER):
        shown = client.get(f"/api/v1/orders/{posted.json['id']}", headers=headers)
    assert shown.status_code == 200
    assert posted.json == shown.json  # every field, the lines and the timeline included; none exempt
    assert len(posted.json["lines"]) == lines
    assert (posted.json["address"] is not None) == (fulfilment == "delivery")


# Statements per POST /orders of given items, from the token check to the commit, for one line picked up, step by
# step: the caller; the shopper with their leader and the deals ordered (one read); the limit; the order with its
# timeline row; the group; the stock; the lines; the idempotency key. A shopper without a cart has nothing to clear.
# PostgreSQL begins and commits without a statement of its own and writes the order and its timeline row in one
# statement; SQLite's BEGIN IMMEDIATE for the checkout is sent by our pysqlite recipe (groupbuy/db.py), and the
# timeline row is a statement of its own there. The token check stands alone in autocommit (db.alone) on both.
STEP_BY_STEP = {"postgresql": 8, "sqlite": 10}
# PostgreSQL writes a one-line order in one statement that needs no transaction (the idempotency key with its
# answer, limit, order, timeline row, group, stock, line and cart line: checkout_sql.place_single_line): the
# caller, the read, that statement, each in autocommit. SQLite goes step by step.
ONE_LINE = {"postgresql": 3, "sqlite": 10}
# Each further deal adds its limit, group and stock statements; PostgreSQL inserts all lines in one statement,
# SQLite one per line (no ordered RETURNING for a multi-row INSERT there).
PER_FURTHER_LINE = {"postgresql": 3, "sqlite": 4}
FROM_CART = 2  # the cart taken, then its deals read on their own (their ids are known only then)
# ordering given items while the cart holds some: the ordered deals' lines leave it (in the one-line statement on
# PostgreSQL)
CART_CLEARED = {"postgresql": 0, "sqlite": 1}
DELIVERY = 1  # the address, read to snapshot it


@pytest.mark.parametrize("fulfilment", ["pickup", "delivery"])
@pytest.mark.parametrize("lines", [1, 3])
def test_statements_per_checkout_are_pinned(
    shop: Shop, client: FlaskClient, app: Flask, fulfilment: str, lines: int
) -> None:
    headers, body = _checkout(shop, lines=lines, fulfilment=fulfilment)
    with clock.frozen(T0), statements_sent(app, width=48) as sent:
        response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.json
    dialect = _dialect(app)
    expected = _lines_cost(dialect, lines) + (fulfilment == "delivery") * DELIVERY
    assert len(sent) == expected, sent


def _lines_cost(dialect: str, lines: int) -> int:
    if lines == 1:
        return ONE_LINE[dialect]
    return STEP_BY_STEP[dialect] + PER_FURTHER_LINE[dialect] * (lines - 1)


def _dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


def test_a_checkout_from_the_cart_answers_and_costs_the_same(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deals = [shop.deal(), shop.deal(price_fen=1500)]
    buyer = shop.shopper()
    headers = shop.key(buyer)
    with clock.frozen(T0):
        for deal in deals:
            client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 2}, headers=shop.auth(buyer))
        with statements_sent(app, width=48) as sent:
            posted = client.post("/api/v1/orders", json={"from_cart": True, "fulfilment": "pickup"}, headers=headers)
    assert posted.status_code == 201, posted.json
    dialect = _dialect(app)
    assert len(sent) == _lines_cost(dialect, 2) + FROM_CART, sent  # taken, not cleared after
    with clock.frozen(LATER):
        assert client.get(f"/api/v1/orders/{posted.json['id']}", headers=headers).json == posted.json


# A one-line order from the cart: the cart is taken in the checkout's transaction, so on PostgreSQL the order is
# still one statement (its ids from the sequences) and the key a statement of its own in that transaction: the
# caller, the read, the cart taken, its deal read, the order, the key.
ONE_LINE_FROM_CART = {"postgresql": 6, "sqlite": ONE_LINE["sqlite"] + FROM_CART}


def test_a_one_line_order_from_the_cart_is_one_statement_on_postgresql(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal()
    buyer = shop.shopper()
    headers = shop.key(buyer)
    with clock.frozen(T0):
        client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 2}, headers=shop.auth(buyer))
        with statements_sent(app, width=48) as sent:
            posted = client.post("/api/v1/orders", json={"from_cart": True, "fulfilment": "pickup"}, headers=headers)
    assert posted.status_code == 201, posted.json
    assert len(sent) == ONE_LINE_FROM_CART[_dialect(app)], sent
    assert kept_answer(app, headers["Idempotency-Key"]) == (201, posted.json)
    with clock.frozen(LATER):
        assert client.get(f"/api/v1/orders/{posted.json['id']}", headers=headers).json == posted.json
        assert client.get("/api/v1/cart", headers=shop.auth(buyer)).json["lines"] == []


def test_ordering_items_clears_them_from_a_cart_at_the_cost_of_one_statement(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    ordered, kept = shop.deal(), shop.deal(price_fen=1500)
    buyer = shop.shopper()
    headers = shop.key(buyer)
    with clock.frozen(T0):
        for deal in (ordered, kept):
            client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 2}, headers=shop.auth(buyer))
        with statements_sent(app, width=48) as sent:
            posted = client.post("/api/v1/orders", json=_body([ordered], "pickup", None), headers=headers)
        assert posted.status_code == 201, posted.json
        assert len(sent) == ONE_LINE[_dialect(app)] + CART_CLEARED[_dialect(app)], sent
        lines = client.get("/api/v1/cart", headers=shop.auth(buyer)).json["lines"]
    assert [line["deal_id"] for line in lines] == [kept]


_FIRST_READS = "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'SELECT coalesce(%'"


def _first_read_prepared(shop: Shop, database_url: str, *, read_each_order: bool, deals: int = 1) -> list[Any]:
    """14 checkouts of ``deals`` deals each on one connection per pool (each followed by a read of the order's page
    when asked); then the prepared statements of checkout's first read on those connections, as (generic_plans,
    custom_plans): none if it is not prepared. A one-deal order runs on the autocommit pool's connection on
    PostgreSQL, any other in a transaction on the session's."""
    orders = [(shop.key(shop.shopper()), [shop.deal() for _ in range(deals)]) for _ in range(14)]
    with second_app(database_url, DB_POOL_SIZE=1) as one_connection:  # every request on the same connections
        client = one_connection.test_client()
        with clock.frozen(T0):
            for headers, ordered in orders:
                placed = client.post("/api/v1/orders", json=_body(ordered, "pickup", None), headers=headers)
                assert placed.status_code == 201, placed.json
                if read_each_order:
                    shown = client.get(f"/api/v1/orders/{placed.json['id']}", headers=headers)
                    assert shown.status_code == 200, shown.json
        with one_connection.app_context():
            with alone() as own:
                prepared = list(own.execute(text(_FIRST_READS)).all())
            prepared += db.session.execute(text(_FIRST_READS)).all()
            db.session.rollback()
    return prepared


@pytest.mark.pg
def test_a_one_deal_first_read_keeps_its_generic_plan(shop: Shop, database_url: str) -> None:
    """psycopg prepares a statement on its fifth execution; PostgreSQL plans it for each execution's values
    until it finds a generic plan no dearer than those, and keeps the one it chooses for the connection. With the
    deal ids bound as an array, the generic plan assumed ten of them and lost, and a connection planned checkout's
    first read on every request (0.8 ms of PostgreSQL's CPU each, `bench/checkout.py`)."""
    (plans,) = _first_read_prepared(shop, database_url, read_each_order=False)
    # prepared on the fifth request, planned for the values on the next five, generic from the tenth prepared one
    assert plans.generic_plans >= 1, plans


@pytest.mark.pg
def test_a_page_read_between_checkouts_keeps_their_prepared_statements(shop: Shop, database_url: str) -> None:
    """A request that only read ends its transaction with COMMIT: psycopg forgets a connection's prepared statements
    on ROLLBACK, so every order page read in between would have sent checkout back to parsing and planning."""
    prepared = _first_read_prepared(shop, database_url, read_each_order=True, deals=2)  # on the session's connection
    assert len(prepared) == 1  # without the COMMIT: never prepared, each page's ROLLBACK forgot the count


@pytest.mark.pg
def test_a_context_that_wrote_outside_a_unit_of_work_still_rolls_back(shop: Shop, app: Flask) -> None:
    """Only a transaction that sent nothing but SELECTs is committed when its context ends."""
    deal = shop.deal()
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # a read first: the write after it must still count
        db.session.execute(text("UPDATE deals SET stock_available = 0 WHERE id = :id"), {"id": deal})
    with app.app_context():
        left = db.session.execute(text("SELECT stock_available FROM deals WHERE id = :id"), {"id": deal}).scalar()
    assert left != 0


@pytest.mark.pg
def test_a_one_line_checkout_opens_no_transaction(shop: Shop, client: FlaskClient, app: Flask) -> None:
    """A one-line order on PostgreSQL is one statement that refuses as a whole: it runs in autocommit, with its
    token check and first read, on the one connection the request takes from the autocommit pool, and takes no
    session connection (which would BEGIN and COMMIT: two round trips and the ORM session's bookkeeping)."""
    headers, body = _checkout(shop, lines=1, fulfilment="pickup")
    with app.app_context():
        engines = dict(db.engines)
    taken: dict[object, int] = dict.fromkeys(engines, 0)

    def counter(bind: object) -> Any:
        def count(*_: Any) -> None:
            taken[bind] += 1

        return count

    listeners = [(engine.pool, counter(bind)) for bind, engine in engines.items()]
    for pool, listener in listeners:
        event.listen(pool, "checkout", listener)
    try:
        with clock.frozen(T0):
            response = client.post("/api/v1/orders", json=body, headers=headers)
    finally:
        for pool, listener in listeners:
            event.remove(pool, "checkout", listener)
    assert response.status_code == 201, response.json
    assert taken == {None: 0, AUTOCOMMIT_BIND: 1}  # held from the token check to the order (db.alone)


def test_a_checkout_with_a_revoked_token_is_refused_and_writes_nothing(shop: Shop, client: FlaskClient) -> None:
    headers, body = _checkout(shop, lines=1, fulfilment="pickup")
    with clock.frozen(T0):
        logout = client.post("/api/v1/auth/logout", headers={"Authorization": headers["Authorization"]})
        assert logout.status_code == 204
        refused = client.post("/api/v1/orders", json=body, headers=headers)
        again = client.get("/api/v1/orders", headers=headers)
    assert refused.status_code == 401, refused.json
    assert again.status_code == 401
    with shop.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.pg
def test_a_group_opened_by_a_neighbour_after_the_read_is_joined(
    shop: Shop, client: FlaskClient, app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first read found no group for the deal and drew the id a new group would take; a neighbour's order
    (another process) opened the group before this order's statement ran. The statement refuses as a whole (its
    answer, kept in the same statement, named the id it drew), checkout reads again and joins the neighbour's
    group."""
    deal = shop.deal(stock=10)
    buyer, neighbour = shop.shopper(), shop.shopper()
    headers = shop.key(buyer)
    plan = checkout._plan
    neighbours: list[PlacedOrder] = []
    reads: list[int] = []

    def neighbour_first(conn: Any, rows: Any, asked: Any) -> Any:
        planned = plan(conn, rows, asked)
        reads.append(asked.user_id)
        if reads == [buyer.id]:  # once, before the buyer's first statement; the neighbour's read is the second
            item = CheckoutItem(deal_id=deal, quantity=1)
            with second_app(database_url) as other, other.app_context():
                neighbours.append(
                    checkout.place_order(
                        user_id=neighbour.id, items=[item], from_cart=False, fulfilment=Fulfilment.PICKUP,
                        address_id=None, leader_id=None, now=T0,
                    )
                )  # fmt: skip
        return planned

    monkeypatch.setattr(checkout, "_plan", neighbour_first)
    with clock.frozen(T0):
        placed = client.post("/api/v1/orders", json=_body([deal], "pickup", None), headers=headers)
    assert placed.status_code == 201, placed.json
    assert reads == [buyer.id, neighbour.id, buyer.id]  # the buyer read again after the refusal
    with app.app_context():
        (group,) = db.session.scalars(select(Group)).all()
        assert group.units_reserved == 2 and group.id == neighbours[0].lines[0].group_id
        assert db.session.scalar(select(func.count()).select_from(Order)) == 2
        assert db.session.get_one(Deal, deal).stock_available == 8
    assert placed.json["lines"][0]["group_id"] == group.id
    assert kept_answer(app, headers["Idempotency-Key"]) == (201, placed.json)
    with clock.frozen(LATER):
        assert client.get(f"/api/v1/orders/{placed.json['id']}", headers=headers).json == placed.json
