"""What a request left in the database: row counts, and "these tables did not change" around a refused request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, event, func, select

from groupbuy.cart.models import CartItem
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.db import Base, db
from groupbuy.groups.models import Group
from groupbuy.idempotency.models import IdempotencyKey
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent
from groupbuy.payments.models import Payment

# Everything a checkout writes or moves (the idempotency key aside: a refusal's answer is kept under it).
CHECKOUT = (Order, OrderLine, OrderTimelineEvent, UserDealPurchase, Deal, Group, CartItem)
# Everything an order's transition writes or moves, and the payments that could start from it.
ORDER_STATE = (Order, OrderLine, OrderTimelineEvent, UserDealPurchase, Deal, Group, Payment)


def count_rows(app: Flask, model: type[Base], *where: ColumnElement[bool]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _rows(app: Flask, models: tuple[type[Base], ...]) -> dict[str, list[tuple[Any, ...]]]:
    with app.app_context():
        rows = {}
        for model in models:
            table = model.__table__
            key = list(table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*key))]
        db.session.remove()
        return rows


@contextmanager
def unchanged(app: Flask, *models: type[Base]) -> Iterator[None]:
    """Every row of these tables is the same after the block as before it (none added, changed or deleted)."""
    before = _rows(app, models)
    yield
    assert _rows(app, models) == before


def kept_answer(app: Flask, key: str) -> tuple[int | None, Any]:
    """The status and body kept under an idempotency key."""
    with app.app_context():
        row = db.session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == key)).one()
        return row.response_status, row.response_body


@contextmanager
def statements_sent(app: Flask, *, width: int | None = None) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the block runs, whitespace folded (its first ``width``
    characters if given: enough to tell them apart in a failure message)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split())[:width])

    with app.app_context():
        engines = list(db.engines.values())  # the session's, and on PostgreSQL the autocommit pool's (db.alone)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
