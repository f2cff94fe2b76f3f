"""expire_unpaid_orders and auto_confirm_receipt: due work from database state, each order moved once."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.db import db
from groupbuy.groups.models import Group
from groupbuy.notifications.models import Notification
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.orders.service import transition
from tests.conftest import tune
from tests.factories.market import T0, Shop
from tests.jobs.conftest import count, pay, place, run

DELIVERY_PATH = (OrderEvent.CONFIRM, OrderEvent.STOCK, OrderEvent.SHIP)


def _status(app: Flask, order_id: int) -> OrderStatus:
    with app.app_context():
        return db.session.get_one(Order, order_id).status


def test_unpaid_orders_expire_after_their_window_once_with_stock_back(shop: Shop, app: Flask) -> None:
    deal = shop.deal(stock=10, limit_per_user=3)
    buyer = shop.shopper()
    early, later = place(app, buyer, deal, 2), place(app, buyer, deal, 1, now=T0 + timedelta(minutes=10))
    paid = place(app, shop.shopper(), deal, 1)
    pay(app, paid)

    assert run(app, "expire_unpaid_orders", T0 + timedelta(minutes=14)) == {"orders_expired": 0}
    assert run(app, "expire_unpaid_orders", T0 + timedelta(minutes=15)) == {"orders_expired": 1}
    assert (_status(app, early), _status(app, later)) == (OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT)
    assert run(app, "expire_unpaid_orders", T0 + timedelta(minutes=15)) == {"orders_expired": 0}
    assert run(app, "expire_unpaid_orders", T0 + timedelta(hours=3)) == {"orders_expired": 1}
    assert _status(app, paid) is OrderStatus.PAID
    with app.app_context():
        assert db.session.get_one(Deal, deal).stock_available == 9
        assert db.session.get_one(UserDealPurchase, (buyer.id, deal)).quantity == 0
        assert db.session.scalars(select(Group.units_reserved)).one() == 1
    assert count(app, select(OrderTimelineEvent).where(OrderTimelineEvent.event == OrderEvent.EXPIRE)) == 2
    assert count(app, select(Notification).where(Notification.kind == "order_expired")) == 2


def _receive(app: Flask, order_id: int, last: OrderEvent, at: object) -> None:
    with app.app_context():
        for event in (*DELIVERY_PATH, OrderEvent.ARRIVE, OrderEvent.OUT_FOR_DELIVERY, last):
            transition(order_id=order_id, event=event, actor="leader:1", now=at)  # type: ignore[arg-type]


def test_auto_confirm_completes_received_orders_after_n_days(shop: Shop, app: Flask) -> None:
    deal = shop.deal()
    picked, delivered, fresh, waiting = (place(app, shop.shopper(), deal) for _ in range(4))
    for order_id in (picked, delivered, fresh, waiting):
        pay(app, order_id)
    with app.app_context():
        for event in (*DELIVERY_PATH, OrderEvent.ARRIVE):
            transition(order_id=picked, event=event, actor="leader:1", now=T0)
        transition(order_id=picked, event=OrderEvent.PICK_UP, actor="leader:1", now=T0 + timedelta(days=1))
    _receive(app, delivered, OrderEvent.DELIVER, T0 + timedelta(days=1))
    _receive(app, fresh, OrderEvent.DELIVER, T0 + timedelta(days=3))
    tune(app, auto_confirm_days=7)

    due = T0 + timedelta(days=8)
    assert run(app, "auto_confirm_receipt", due - timedelta(seconds=1)) == {"orders_completed": 0}
    assert run(app, "auto_confirm_receipt", due) == {"orders_completed": 2}
    assert [_status(app, o) for o in (picked, delivered, fresh, waiting)] == [
        OrderStatus.COMPLETED,
        OrderStatus.COMPLETED,
        OrderStatus.DELIVERED,
        OrderStatus.PAID,
    ]
    done = select(OrderTimelineEvent).where(OrderTimelineEvent.event == OrderEvent.CONFIRM_RECEIPT)
    assert count(app, done.where(OrderTimelineEvent.actor == "system")) == 2
    with app.app_context():
        assert db.session.get_one(Order, picked).closed_at == due
    assert run(app, "auto_confirm_receipt", due) == {"orders_completed": 0}
    assert count(app, done) == 2
