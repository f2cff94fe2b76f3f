"""Helpers for job tests: orders placed and paid through the services, jobs run through the trigger table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Select, func, select

from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.jobs.scheduler import JOBS_BY_ID, run_scheduled_job
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import Fulfilment
from groupbuy.orders.models import Order
from groupbuy.orders.service import CheckoutItem, mark_order_paid, place_order
from tests.factories.market import T0, Shop


def place(app: Flask, user: User, deal_id: int, quantity: int = 1, *, now: datetime = T0, **more: int) -> int:
    """An order for ``quantity`` of a deal (plus ``more`` = {deal id as str: quantity}), placed at ``now``."""
    items = [CheckoutItem(deal_id=deal_id, quantity=quantity)]
    items += [CheckoutItem(deal_id=int(d), quantity=q) for d, q in more.items()]
    with app.app_context():
        order = place_order(
            user_id=user.id,
            items=items,
            from_cart=False,
            fulfilment=Fulfilment.PICKUP,
            address_id=None,
            leader_id=None,
            now=now,
        )
        return order.id


def pay(app: Flask, order_id: int, *, now: datetime = T0 + timedelta(minutes=1)) -> None:
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        mark_order_paid(order_id=order_id, amount_fen=order.payable_fen, actor="test", now=now)


def run(app: Flask, job: str, now: datetime) -> dict[str, int]:
    """Run one job of the trigger table like the scheduler does; fail the test if the run failed."""
    outcome = run_scheduled_job(app, JOBS_BY_ID[job], now)
    assert outcome.errors is None, outcome.errors
    assert not outcome.skipped
    return outcome.counts


def count(app: Flask, query: Select[Any]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def leader_user_id(app: Flask, shop: Shop) -> int:
    with app.app_context():
        return db.session.get_one(Leader, shop.leader_id).user_id
