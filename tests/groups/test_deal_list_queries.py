"""The personal part of the deal list in one batched query: the caller's group progress for every deal on the page
costs the same statements for 2 deals as for 12, so the page's cost does not grow with its size."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.groups.service import join_group
from groupbuy.leaders.models import Leader
from tests.factories.accounts import bearer
from tests.factories.market import T0, Shop
from tests.rows import statements_sent


def _open_groups(app: Flask, client: FlaskClient, shop: Shop, deals: list[int]) -> None:
    with app.app_context():
        leader = db.session.get_one(Leader, shop.leader_id)
        headers = bearer(db.session.get_one(User, leader.user_id))
    for number, deal in enumerate(deals, start=1):
        group_id = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=headers).json["id"]
        with app.app_context():
            assert join_group(leader_id=shop.leader_id, deal_id=deal, quantity=number, now=T0) == group_id


def _page(client: FlaskClient, app: Flask, size: int, headers: dict[str, str]) -> tuple[list[str], list[Any]]:
    with statements_sent(app) as sent:
        answer = client.get(f"/api/v1/deals?page_size={size}", headers=headers)
    assert answer.status_code == 200
    return sent, answer.json["items"]


def test_group_progress_for_the_whole_page_costs_the_same_statements(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deals = [shop.deal() for _ in range(12)]
    shopper = shop.auth(shop.shopper())
    with clock.frozen(T0):
        _open_groups(app, client, shop, deals)
        client.get("/api/v1/deals", headers=shopper)  # warm the caller's token path once
        small, small_items = _page(client, app, 2, shopper)
        large, large_items = _page(client, app, 12, shopper)
        anonymous, _ = _page(client, app, 12, {})
    assert len(small_items) == 2 and len(large_items) == 12
    # Every deal on the page carries the caller's group progress...
    progress = {item["id"]: item["group"]["units_ordered"] for item in large_items}
    assert progress == {deal: number for number, deal in enumerate(deals, start=1)}
    # ...read in one statement for the page, so 12 deals cost what 2 do.
    assert len(large) == len(small), (small, large)
    assert sum("FROM groups" in text for text in large) == 1
    assert sum("FROM groups" in text for text in anonymous) == 0  # nobody signed in: no group to read
