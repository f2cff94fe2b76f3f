"""The shared read cache of the deal page, the first deal-list pages and the group page (groupbuy/common/read_cache):
a kept answer lags by at most GROUPBUY_READ_CACHE_SECONDS, writes that change what a shopper sees (price,
content, status, sold out, back in stock) end it at once, it never outlives the next opening or cutoff, a
signed-in caller's group progress is filled in fresh, and Redis (several workers) or no Redis both hold."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock, create_app
from groupbuy.accounts.enums import Role
from groupbuy.catalog.models import Deal, Sku
from groupbuy.common import read_cache
from groupbuy.db import db
from tests.conftest import _test_config, tune
from tests.factories.accounts import bearer, make_user
from tests.factories.market import T0, Shop, order_body

REDIS_URL = "redis://127.0.0.1:6379/14"
# The limiter is one object for every app: a second app given a Redis URL would point the suite's throttling at it.
_OWN_LIMITER = {"RATELIMIT_STORAGE_URI": "memory://", "METRICS_DISABLED": True}


@pytest.fixture
def cached(app: Flask) -> Iterator[None]:
    tune(app, read_cache_seconds=1.0)
    with app.app_context():
        read_cache.clear()
    yield
    with app.app_context():
        read_cache.clear()


def _card(client: FlaskClient, deal: int, **headers: str) -> dict[str, Any]:
    page = client.get("/api/v1/deals?page=1&page_size=50", headers=headers)
    assert page.status_code == 200, page.json
    return next(item for item in page.json["items"] if item["id"] == deal)


def _detail(client: FlaskClient, deal: int, **headers: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/deals/{deal}", headers=headers)
    assert answer.status_code == 200, answer.json
    body: dict[str, Any] = answer.json
    return body


def _admin(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user(Role.ADMIN))


def test_stock_lags_by_at_most_the_setting(shop: Shop, client: FlaskClient, cached: None) -> None:
    deal = shop.deal(stock=10)
    with clock.frozen(T0):
        assert _detail(client, deal)["stock_left"] == 10 and _card(client, deal)["stock_left"] == 10
        shop.set_deal(deal, stock_available=7)  # stock moved by a write that does not tell the cache
        assert _detail(client, deal)["stock_left"] == 10 and _card(client, deal)["stock_left"] == 10  # kept
        clock.advance(timedelta(milliseconds=900))
        assert _detail(client, deal)["stock_left"] == 10
        clock.advance(timedelta(milliseconds=150))  # past the second
        assert _detail(client, deal)["stock_left"] == 7 and _card(client, deal)["stock_left"] == 7


def test_the_cache_off_reads_the_database_every_time(shop: Shop, client: FlaskClient, app: Flask) -> None:
    tune(app, read_cache_seconds=0)
    deal = shop.deal(stock=10)
    with clock.frozen(T0):
        assert _detail(client, deal)["stock_left"] == 10
        shop.set_deal(deal, stock_available=7)
        assert _detail(client, deal)["stock_left"] == 7 and _card(client, deal)["stock_left"] == 7


def test_price_content_and_status_changes_show_at_once(
    shop: Shop, client: FlaskClient, app: Flask, cached: None
) -> None:
    deal = shop.deal(price_fen=1000)
    admin = _admin(app)
    with app.app_context():
        product_id = db.session.execute(
            select(Sku.product_id).join(Deal, Deal.sku_id == Sku.id).where(Deal.id == deal)
        ).scalar_one()
    with clock.frozen(T0):
        assert _detail(client, deal)["member_prices"] == [] and _card(client, deal)["title"]
        prices = [{"tier": "accelerate", "price_fen": 900}]
        put = client.put(f"/api/v1/admin/deals/{deal}/member-prices", json={"member_prices": prices}, headers=admin)
        assert put.status_code == 200, put.json
        assert _detail(client, deal)["member_prices"] == prices  # no second has passed
        cancelled = client.post(f"/api/v1/admin/deals/{deal}/cancel", headers=admin)
        assert cancelled.status_code == 200, cancelled.json
        assert _detail(client, deal)["status"] == "cancelled"
        edited = client.patch(f"/api/v1/admin/products/{product_id}", json={"description": "新描述"}, headers=admin)
        assert edited.status_code == 200, edited.json
        assert client.get(f"/api/v1/deals/{deal}").status_code == 404  # the edit went back to review: gone at once
        assert all(item["id"] != deal for item in client.get("/api/v1/deals?page_size=50").json["items"])


def test_a_refused_write_keeps_the_kept_answers(shop: Shop, client: FlaskClient, app: Flask, cached: None) -> None:
    deal = shop.deal(stock=5)
    admin = _admin(app)
    with clock.frozen(T0):
        assert (
            client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(shop.shopper())).status_code == 201
        )
        first = client.get(f"/api/v1/deals/{deal}")
        with app.app_context():
            version = read_cache.cache.cache.get(read_cache.VERSION_KEY)
        refused = client.post(f"/api/v1/admin/deals/{deal}/cancel", headers=admin)  # it has sales: 409, rolled back
        assert refused.status_code == 409
        with app.app_context():
            assert read_cache.cache.cache.get(read_cache.VERSION_KEY) == version
        assert client.get(f"/api/v1/deals/{deal}").headers["ETag"] == first.headers["ETag"]


def test_sold_out_and_back_in_stock_show_at_once(shop: Shop, client: FlaskClient, cached: None) -> None:
    deal = shop.deal(stock=3)
    with clock.frozen(T0):
        assert not _detail(client, deal)["sold_out"]
        buyer = shop.shopper()
        some = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer))
        assert some.status_code == 201
        assert _detail(client, deal)["stock_left"] == 3  # an ordinary sale: the count may lag
        last = client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(shop.shopper()))
        assert last.status_code == 201, last.json
        assert _detail(client, deal)["sold_out"] and _card(client, deal)["sold_out"]  # the last unit: at once
        cancelled = client.post(f"/api/v1/orders/{some.json['id']}/cancel", headers=shop.auth(buyer))
        assert cancelled.status_code == 200, cancelled.json
        page = _detail(client, deal)
        assert not page["sold_out"] and page["stock_left"] == 1


def test_an_entry_never_outlives_the_next_opening(shop: Shop, client: FlaskClient, app: Flask, cached: None) -> None:
    tune(app, read_cache_seconds=30)
    deal = shop.deal()
    shop.set_deal(deal, starts_at=T0 + timedelta(milliseconds=500))  # the 10 a.m. deal opens half a second later
    with clock.frozen(T0):
        assert _detail(client, deal)["status"] == "upcoming"
        assert all(item["id"] != deal for item in client.get("/api/v1/deals?page_size=50").json["items"])
        clock.advance(timedelta(milliseconds=501))
        assert _detail(client, deal)["status"] == "on_sale"
        assert _card(client, deal)["id"] == deal


def test_a_signed_in_caller_gets_their_group_on_the_kept_page(
    shop: Shop, client: FlaskClient, app: Flask, cached: None
) -> None:
    deal = shop.deal()
    shopper = shop.auth(shop.shopper())
    with clock.frozen(T0):
        anonymous = _detail(client, deal)  # kept, with no group in it
        assert anonymous["group"] is None and _card(client, deal)["group"] is None
        opened = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=shop.leader_auth())
        assert opened.status_code == 201
        ordered = client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(shop.shopper()))
        assert ordered.status_code == 201
        mine = _detail(client, deal, **shopper)
        assert mine["group"] == {"id": opened.json["id"], "status": "open", "units_ordered": 2, "units_paid": 0}
        assert _card(client, deal, **shopper)["group"] == mine["group"]
        assert _detail(client, deal)["group"] is None  # the kept anonymous page is untouched
        again = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(shop.shopper()))
        assert again.status_code == 201
        assert _detail(client, deal, **shopper)["group"] == mine["group"]  # the leader's progress is kept too
        clock.advance(timedelta(seconds=1))
        assert _detail(client, deal, **shopper)["group"]["units_ordered"] == 3
        kept_detail, kept_card = _detail(client, deal, **shopper), _card(client, deal, **shopper)
        assert kept_detail["stock_left"] == 97
        tune(app, read_cache_seconds=0)  # the same answers as without the cache
        assert _detail(client, deal, **shopper) == kept_detail and _card(client, deal, **shopper) == kept_card


def test_the_group_page_is_kept_within_the_bound(shop: Shop, client: FlaskClient, app: Flask, cached: None) -> None:
    deal = shop.deal()
    with clock.frozen(T0):
        group = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=shop.leader_auth()).json
        url = f"/api/v1/groups/{group['id']}"
        assert client.get(url).json["units_ordered"] == 0
        assert (
            client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(shop.shopper())).status_code == 201
        )
        assert client.get(url).json["units_ordered"] == 0
        clock.advance(timedelta(seconds=1))
        assert client.get(url).json["units_ordered"] == 2
        assert client.get("/api/v1/groups/999999").status_code == 404


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_with_redis_a_write_on_one_worker_ends_the_others_copies(shop: Shop, app: Flask, database_url: str) -> None:
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379 (CI has it)")
    config = {**_test_config(database_url), "READ_CACHE_SECONDS": 30, "REDIS_URL": REDIS_URL, **_OWN_LIMITER}
    one, two = create_app(config), create_app(config)  # two workers sharing one Redis
    with one.app_context():
        read_cache.clear()
    deal = shop.deal(price_fen=1000)
    admin = _admin(app)
    try:
        with clock.frozen(T0):
            assert _detail(one.test_client(), deal)["member_prices"] == []
            shop.set_deal(deal, stock_available=42)  # untold: both workers keep the page they read
            assert _detail(two.test_client(), deal)["stock_left"] == 100
            prices = [{"tier": "accelerate", "price_fen": 900}]
            put = two.test_client().put(
                f"/api/v1/admin/deals/{deal}/member-prices", json={"member_prices": prices}, headers=admin
            )
            assert put.status_code == 200, put.json
            seen = _detail(one.test_client(), deal)  # the other worker sees the write at once
            assert seen["member_prices"] == prices and seen["stock_left"] == 42
    finally:
        with one.app_context():
            read_cache.clear()


def test_a_cache_that_is_down_is_read_around(shop: Shop, database_url: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {**_test_config(database_url), "READ_CACHE_SECONDS": 1, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    down = create_app({**config, **_OWN_LIMITER})
    deal = shop.deal()
    with clock.frozen(T0):
        assert _detail(down.test_client(), deal)["id"] == deal
        assert _card(down.test_client(), deal)["id"] == deal


def test_a_deal_closed_long_ago_still_shows_the_callers_group(
    shop: Shop, client: FlaskClient, app: Flask, cached: None
) -> None:
    deal = shop.deal()
    fresh = shop.deal()
    shopper = shop.auth(shop.shopper())
    with clock.frozen(T0):
        for each in (deal, fresh):
            opened = client.post("/api/v1/leader/groups", json={"deal_id": each}, headers=shop.leader_auth())
            assert opened.status_code == 201
        assert (
            client.post("/api/v1/orders", json=order_body(deal, 2), headers=shop.key(shop.shopper())).status_code == 201
        )
    shop.set_deal(fresh, cutoff_at=T0 + timedelta(days=5))
    with clock.frozen(T0 + timedelta(days=3)):  # the first deal closed 2.5 days ago: older than the kept groups
        old = _detail(client, deal, **shopper)
        assert old["status"] == "closed" and old["group"] is not None and old["group"]["units_ordered"] == 2
        assert _detail(client, fresh, **shopper)["group"]["units_ordered"] == 0  # from the leader's kept groups


def test_a_signed_out_token_browses_as_anonymous_at_once(shop: Shop, client: FlaskClient, cached: None) -> None:
    deal = shop.deal()
    headers = shop.auth(shop.shopper())
    with clock.frozen(T0):
        assert client.get(f"/api/v1/deals/{deal}", headers=headers).headers["Cache-Control"].startswith("private")
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        after = client.get(f"/api/v1/deals/{deal}", headers=headers)
        assert after.headers["Cache-Control"].startswith("public") and after.json["group"] is None
