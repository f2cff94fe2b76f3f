"""Dispatch by an admin or on the pickup date's eve ships once and tells the leader once; unclaimed goods are
reminded, then flagged for CS, once each; every job is safe twice and late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy.accounts.enums import Role
from groupbuy.db import db
from groupbuy.notifications.models import Notification
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent
from groupbuy.settings import ConfigError, build_settings
from tests.conftest import tune
from tests.factories.market import T0, Shop
from tests.flows.conftest import (
    AFTER_CUTOFF,
    arrive,
    confirm,
    dispatch,
    leader_headers,
    order_row,
    paid_order,
    staff_headers,
)
from tests.jobs.conftest import leader_user_id, run

EVE_1800 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai, the eve of 2026-11-23


def _notices(app: Flask, kind: str) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).where(Notification.kind == kind)))
        db.session.expunge_all()
        return rows


def test_dispatch_ships_confirmed_and_stocking_orders_once_and_tells_the_leader_once(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    deal = shop.deal()
    confirmed = paid_order(app, shop.shopper(), {deal: 2})
    stocking = paid_order(app, shop.shopper(), {deal: 1}, confirmed=False)
    confirm(app, stocking, stock=True)
    unconfirmed = paid_order(app, shop.shopper(), {deal: 1}, confirmed=False)

    first = dispatch(client, admin, shop.leader_id)
    second = dispatch(client, admin, shop.leader_id, AFTER_CUTOFF + timedelta(minutes=1))

    assert first.status_code == 200
    assert first.json["order_ids"] == [confirmed, stocking] and first.json["total_units"] == 3
    assert second.status_code == 200 and second.json["order_ids"] == [] and second.json["units"] == []
    assert [order_row(app, o).status for o in (confirmed, stocking, unconfirmed)] == [
        OrderStatus.SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.PAID,
    ]
    with app.app_context():
        ships = db.session.scalar(select(func.count()).where(OrderTimelineEvent.event == OrderEvent.SHIP))
        assert ships == 2
    (told,) = _notices(app, "leader_dispatch")
    assert told.user_id == leader_user_id(app, shop)
    assert told.payload["units"] == 3 and told.payload["orders"] == 2 and "×3" in told.body


def test_dispatch_is_for_admins_and_known_leaders(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    assert dispatch(client, leader_headers(app, shop.leader_id), shop.leader_id).status_code == 403
    assert dispatch(client, admin, shop.leader_id + 1000).status_code == 404


def test_the_eve_job_ships_from_dispatch_hour_and_catches_up_late(shop: Shop, app: Flask) -> None:
    deal = shop.deal()
    order_id = paid_order(app, shop.shopper(), {deal: 1}, confirmed=False)
    confirm(app, order_id, at=T0 + timedelta(hours=1))
    assert run(app, "dispatch_due_orders", EVE_1800 - timedelta(seconds=1)) == {"shipments": 0, "orders_shipped": 0}
    late = EVE_1800 + timedelta(days=2)  # the scheduler was down: the next run still ships it
    assert run(app, "dispatch_due_orders", late) == {"shipments": 1, "orders_shipped": 1}
    assert run(app, "dispatch_due_orders", late) == {"shipments": 0, "orders_shipped": 0}
    assert order_row(app, order_id).status is OrderStatus.SHIPPED
    assert len(_notices(app, "leader_dispatch")) == 1


def test_unclaimed_goods_are_reminded_then_flagged_once(
    shop: Shop, app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    deal = shop.deal()
    order_id = paid_order(app, shop.shopper(), {deal: 1})
    dispatch(client, admin, shop.leader_id)
    arrived = AFTER_CUTOFF + timedelta(hours=12)
    assert arrive(client, leader_headers(app, shop.leader_id), {}, arrived).status_code == 201
    tune(app, unclaimed_remind_days=2, unclaimed_flag_days=5)

    assert run(app, "handle_unclaimed_goods", arrived + timedelta(days=2, seconds=-1)) == {"reminded": 0, "flagged": 0}
    assert run(app, "handle_unclaimed_goods", arrived + timedelta(days=2)) == {"reminded": 1, "flagged": 0}
    assert run(app, "handle_unclaimed_goods", arrived + timedelta(days=4)) == {"reminded": 0, "flagged": 0}
    assert run(app, "handle_unclaimed_goods", arrived + timedelta(days=5)) == {"reminded": 0, "flagged": 1}
    assert run(app, "handle_unclaimed_goods", arrived + timedelta(days=9)) == {"reminded": 0, "flagged": 0}

    order = order_row(app, order_id)
    assert order.unclaimed_reminded_at == arrived + timedelta(days=2)
    assert order.unclaimed_flagged_at == arrived + timedelta(days=5)
    (reminder,) = _notices(app, "pickup_reminder")
    assert order.pickup_code and order.pickup_code in reminder.body
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Order.unclaimed_flagged_at.is_not(None))) == 1
    queue = client.get("/api/v1/cs/unclaimed-orders", headers=staff_headers(app, Role.CS))
    assert queue.status_code == 200 and [o["id"] for o in queue.json["items"]] == [order_id]
    assert client.get("/api/v1/cs/unclaimed-orders", headers=leader_headers(app, shop.leader_id)).status_code == 403


def test_the_cs_flag_must_come_after_the_reminder() -> None:
    with pytest.raises(ConfigError, match="UNCLAIMED_FLAG_DAYS"):
        build_settings({"UNCLAIMED_REMIND_DAYS": 5, "UNCLAIMED_FLAG_DAYS": 5})
    with pytest.raises(ConfigError, match="DISPATCH_HOUR"):
        build_settings({"DISPATCH_HOUR": 24})
