"""No oversell at any concurrency (RELIABILITY invariants 1, 2): real threads released by a barrier."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.db import db
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.states import LIVE_STATES
from tests.factories.market import T0, Shop, order_body


def _storm(app: Flask, calls: list[Callable[..., object]]) -> list[int]:
    """Run every call in its own thread, all released at once; return the status codes."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    codes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[..., object]) -> None:
        client = app.test_client()
        barrier.wait()
        response = call(client)
        with lock:
            statuses.append(response.status_code)  # type: ignore[attr-defined]
            codes.append((response.get_json(silent=True) or {}).get("code", ""))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    with clock.frozen(T0):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    _storm.codes = codes  # type: ignore[attr-defined]
    return statuses


def _conservation(app: Flask, deal_id: int) -> tuple[int, int, int]:
    """(allocated, available, Σ live quantity) for a deal."""
    with app.app_context():
        deal = db.session.get_one(Deal, deal_id)
        live = db.session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.deal_id == deal_id, Order.status.in_(list(LIVE_STATES)))
        )
        return deal.stock_allocated, deal.stock_available, int(live or 0)


def _post_order(headers: dict[str, str], body: dict) -> Callable[..., object]:  # type: ignore[type-arg]
    return lambda client: client.post("/api/v1/orders", json=body, headers=headers)


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_200_buyers_10_units(shop: Shop, busy_app: Flask, app: Flask, round_: int) -> None:
    deal = shop.deal(stock=10)
    buyers = [shop.key(shop.shopper()) for _ in range(200)]
    statuses = _storm(busy_app, [_post_order(h, order_body(deal, 1)) for h in buyers])
    codes = Counter(_storm.codes)  # type: ignore[attr-defined]
    assert Counter(statuses) == {201: 10, 409: 190}, (Counter(statuses), Counter(_storm.codes))  # type: ignore[attr-defined]
    assert codes["deal_sold_out"] == 190
    allocated, available, live = _conservation(app, deal)
    assert (available, live) == (0, 10)
    assert allocated == available + live
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 10


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_100_buyers_random_quantities_never_oversell(shop: Shop, busy_app: Flask, app: Flask, round_: int) -> None:
    deal = shop.deal(stock=25)
    rng = random.Random(round_)
    calls = [_post_order(shop.key(shop.shopper()), order_body(deal, rng.randint(1, 3))) for _ in range(100)]
    statuses = _storm(busy_app, calls)
    assert set(statuses) <= {201, 409}, (Counter(statuses), Counter(_storm.codes))  # type: ignore[attr-defined]
    allocated, available, live = _conservation(app, deal)
    assert live <= 25
    assert available >= 0
    assert allocated == available + live
    assert available < 3 or statuses.count(409) == 0  # units were left only if nobody was refused


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_one_user_20_parallel_orders_respects_the_limit(shop: Shop, busy_app: Flask, app: Flask, round_: int) -> None:
    deal = shop.deal(stock=100, limit_per_user=2)
    buyer = shop.shopper()
    calls = [_post_order(shop.key(buyer), order_body(deal, 1)) for _ in range(20)]
    statuses = _storm(busy_app, calls)
    assert Counter(statuses) == {201: 2, 409: 18}, Counter(statuses)
    with app.app_context():
        assert db.session.get_one(UserDealPurchase, (buyer.id, deal)).quantity == 2
    allocated, available, live = _conservation(app, deal)
    assert live == 2 and allocated == available + live


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_same_idempotency_key_20_times_makes_one_order(shop: Shop, busy_app: Flask, app: Flask, round_: int) -> None:
    deal = shop.deal(stock=100)
    headers = shop.key(shop.shopper(), f"storm-{round_}")
    statuses = _storm(busy_app, [_post_order(headers, order_body(deal, 1)) for _ in range(20)])
    assert set(statuses) <= {201, 409}, Counter(statuses)
    assert 201 in statuses
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert _conservation(app, deal)[1:] == (99, 1)


@pytest.mark.slow
def test_sqlite_50_writers_no_oversell_no_500(shop: Shop, busy_app: Flask, app: Flask) -> None:
    deal = shop.deal(stock=20)
    calls = [_post_order(shop.key(shop.shopper()), order_body(deal, 1)) for _ in range(50)]
    statuses = _storm(busy_app, calls)
    assert set(statuses) <= {201, 409, 503}, Counter(statuses)
    assert statuses.count(201) <= 20
    allocated, available, live = _conservation(app, deal)
    assert live == statuses.count(201)
    assert allocated == available + live
