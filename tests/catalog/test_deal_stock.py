"""Stock conservation: SKU stock + Σ allocations is constant; a deal's available units stay in 0..allocated.

The PostgreSQL tests release many real threads at once (a barrier) and check the invariants in SQL.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from groupbuy.catalog import service
from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from tests.catalog.conftest import allocated_to_live_deals, deal_body, sku_stock
from tests.factories.catalog import SkuFactory, make_deal


def _available(deal_id: int) -> int:
    return db.session.scalar(select(Deal.stock_available).where(Deal.id == deal_id)) or 0


def test_reserve_takes_units_while_enough_are_left(ctx: None) -> None:
    deal = make_deal(stock_allocated=5).id
    assert service.reserve_deal_stock(deal_id=deal, quantity=3) is True
    assert _available(deal) == 2
    assert service.reserve_deal_stock(deal_id=deal, quantity=3) is False
    assert _available(deal) == 2
    assert service.reserve_deal_stock(deal_id=deal, quantity=2) is True
    assert _available(deal) == 0
    assert service.reserve_deal_stock(deal_id=deal, quantity=1) is False


def test_a_cancelled_or_unknown_deal_reserves_nothing(ctx: None) -> None:
    deal = make_deal(cancelled=True, stock_allocated=5).id
    assert service.reserve_deal_stock(deal_id=deal, quantity=1) is False
    assert _available(deal) == 5
    assert service.reserve_deal_stock(deal_id=999999, quantity=1) is False


def test_release_gives_units_back_but_never_above_the_allocation(ctx: None) -> None:
    deal = make_deal(stock_allocated=5).id
    service.reserve_deal_stock(deal_id=deal, quantity=4)
    service.release_deal_stock(deal_id=deal, quantity=3)
    assert _available(deal) == 4
    with pytest.raises(Conflict) as refused:
        service.release_deal_stock(deal_id=deal, quantity=2)
    assert refused.value.code == "stock_release_exceeds_allocation"
    assert _available(deal) == 4
    service.release_deal_stock(deal_id=deal, quantity=1)
    assert _available(deal) == 5
    with pytest.raises(NotFound):
        service.release_deal_stock(deal_id=999999, quantity=1)


@pytest.mark.parametrize("call", [service.reserve_deal_stock, service.release_deal_stock])
def test_quantity_must_be_positive(ctx: None, call: Any) -> None:
    deal = make_deal().id
    with pytest.raises(ValueError):
        call(deal_id=deal, quantity=0)


def test_reservations_join_the_callers_transaction(ctx: None) -> None:
    """An order that fails after reserving leaves no reservation behind."""
    deal = make_deal(stock_allocated=5).id

    def place_failing_order() -> None:
        with transaction():
            assert service.reserve_deal_stock(deal_id=deal, quantity=2) is True
            raise RuntimeError("the order failed later")

    with pytest.raises(RuntimeError):
        place_failing_order()
    db.session.expire_all()
    assert _available(deal) == 5


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"stock_available": -1}, "ck_deals_stock_available_nonnegative"),
        ({"stock_available": 11}, "ck_deals_stock_available_within_allocated"),
        ({"stock_allocated": 0, "stock_available": 0}, "ck_deals_stock_allocated_positive"),
        ({"group_price_fen": 0}, "ck_deals_group_price_positive"),
    ],
)
def test_the_database_guards_deal_stock(ctx: None, values: dict[str, int], constraint: str) -> None:
    deal = make_deal(stock_allocated=10).id
    with pytest.raises(IntegrityError, match=constraint):
        db.session.execute(update(Deal).where(Deal.id == deal).values(**values))
    db.session.rollback()


def test_the_database_refuses_a_cutoff_before_the_start(ctx: None) -> None:
    deal = make_deal().id
    with pytest.raises(IntegrityError, match="ck_deals_cutoff_after_start"):
        db.session.execute(text("UPDATE deals SET cutoff_at = starts_at WHERE id = :id"), {"id": deal})
    db.session.rollback()


def _run_together(count: int, work: Any) -> list[Any]:
    """Start ``count`` threads that wait at a barrier and then call ``work(i)``; return the results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_deal_creation_never_allocates_more_than_the_stock(
    app: Flask, admin_headers: dict[str, str], round_: int
) -> None:
    with app.app_context():
        sku = SkuFactory(stock=20).id
    sizes = [1, 2, 3] * 8  # 48 units asked for, 20 in stock

    def create(i: int) -> int:
        body = deal_body(sku, stock_allocated=sizes[i])
        return app.test_client().post("/api/v1/admin/deals", json=body, headers=admin_headers).status_code

    statuses = _run_together(len(sizes), create)
    assert set(statuses) <= {201, 409}, statuses
    granted = sum(size for size, status in zip(sizes, statuses, strict=True) if status == 201)
    left = sku_stock(app, sku)
    assert allocated_to_live_deals(app, sku) == granted <= 20
    assert left + granted == 20
    refused = [size for size, status in zip(sizes, statuses, strict=True) if status == 409]
    assert refused
    assert all(size > left for size in refused)


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_reservations_never_oversell(app: Flask, round_: int) -> None:
    with app.app_context():
        deal = make_deal(stock_allocated=10).id

    def reserve(_: int) -> bool:
        with app.app_context():
            try:
                return service.reserve_deal_stock(deal_id=deal, quantity=1)
            finally:
                db.session.remove()

    results = _run_together(30, reserve)
    assert results.count(True) == 10
    with app.app_context():
        assert _available(deal) == 0


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_cancel_racing_a_reservation_never_loses_units(app: Flask, admin_headers: dict[str, str], round_: int) -> None:
    with app.app_context():
        sku = SkuFactory(stock=10).id
    client = app.test_client()
    deal = client.post("/api/v1/admin/deals", json=deal_body(sku, stock_allocated=10), headers=admin_headers).json["id"]

    def act(i: int) -> Any:
        if i == 0:
            return client.post(f"/api/v1/admin/deals/{deal}/cancel", headers=admin_headers).status_code
        with app.app_context():
            try:
                return service.reserve_deal_stock(deal_id=deal, quantity=1)
            finally:
                db.session.remove()

    cancelled, reserved = _run_together(2, act)
    with app.app_context():
        row = db.session.get(Deal, deal)
        assert row is not None
        if cancelled == 200:
            assert reserved is False
            assert sku_stock(app, sku) == 10
            assert row.status == "cancelled"
        else:
            assert cancelled == 409
            assert reserved is True
            assert (row.status, row.stock_available, sku_stock(app, sku)) == ("active", 9, 0)
