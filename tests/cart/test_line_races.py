"""A cart line changed and removed at once: 404 or the last write, never a 500 (conditional UPDATE / DELETE)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from groupbuy import clock
from groupbuy.cart.models import CartItem
from groupbuy.db import db
from tests.factories.market import T0, Shop


def _add_line(client: FlaskClient, headers: dict[str, str], deal: int) -> int:
    response = client.post("/api/v1/cart/items", json={"deal_id": deal, "quantity": 1}, headers=headers)
    assert response.status_code == 201
    return int(response.json["id"])


def _line_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(CartItem)) or 0)


class _DeleteFirst:
    """Remove the line just before the next ``UPDATE``/``DELETE`` on cart_items reaches the database:
    what a concurrent DELETE that committed between our read and our write looks like. (It runs in the
    request's transaction, so the request's 404 rolls it back: assert answers here, not rows.)"""

    def __init__(self, app: Flask, item_id: int, statement: str) -> None:
        self.app, self.item_id, self.statement, self.fired = app, item_id, statement, False

    def __call__(self, conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        if not self.fired and sql.lstrip().upper().startswith(self.statement):
            self.fired = True
            cursor.execute(f"DELETE FROM cart_items WHERE id = {int(self.item_id)}")

    def __enter__(self) -> _DeleteFirst:
        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self.app.app_context():
            event.remove(db.engine, "before_cursor_execute", self)


def test_update_after_delete_is_404(shop: Shop, client: FlaskClient, app: Flask) -> None:
    headers = shop.auth(shop.shopper())
    deal = shop.deal()
    with clock.frozen(T0):
        item = _add_line(client, headers, deal)
        with _DeleteFirst(app, item, "UPDATE CART_ITEMS") as race:
            response = client.patch(f"/api/v1/cart/items/{item}", json={"quantity": 3}, headers=headers)
    assert race.fired
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.json["code"] == "not_found"


def test_delete_after_delete_is_404(shop: Shop, client: FlaskClient, app: Flask) -> None:
    headers = shop.auth(shop.shopper())
    deal = shop.deal()
    with clock.frozen(T0):
        item = _add_line(client, headers, deal)
        with _DeleteFirst(app, item, "DELETE FROM CART_ITEMS") as race:
            response = client.delete(f"/api/v1/cart/items/{item}", headers=headers)
    assert race.fired
    assert response.status_code == 404, response.get_data(as_text=True)


@pytest.mark.pg
def test_two_patches_racing_a_delete_never_500(shop: Shop, app: Flask, busy_app: Flask) -> None:
    headers = shop.auth(shop.shopper())
    deal = shop.deal()
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()
    for _ in range(30):
        with clock.frozen(T0):
            item = _add_line(busy_app.test_client(), headers, deal)
            barrier = threading.Barrier(3)

            def run(method: str, item_id: int = item, barrier: threading.Barrier = barrier) -> None:
                client = busy_app.test_client()
                barrier.wait()
                if method == "patch":
                    response = client.patch(f"/api/v1/cart/items/{item_id}", json={"quantity": 5}, headers=headers)
                else:
                    response = client.delete(f"/api/v1/cart/items/{item_id}", headers=headers)
                with lock:
                    seen.append((method, response.status_code))

            threads = [threading.Thread(target=run, args=(m,)) for m in ("patch", "patch", "delete")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert _line_count(app) == 0  # the delete always wins in the end: nothing resurrects the line

    assert {status for method, status in seen if method == "patch"} <= {200, 404}
    assert {status for method, status in seen if method == "delete"} == {204}
