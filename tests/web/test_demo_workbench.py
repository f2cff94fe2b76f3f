"""The demo leader's day (`flask groupbuy demo-data`): populated through the services, nothing in the future, and
the workbench shows what the database holds."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.groups.models import GroupPageDay
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import OrderEvent, OrderStatus, RefundReason
from groupbuy.orders.models import Arrival, ArrivalShortage, Order, OrderLine, OrderTimelineEvent
from tests.web.conftest import csrf_of, log_in

NOW = datetime.fromisoformat("2026-11-22T10:00:00+08:00")
TODAY = date(2026, 11, 22)


def test_the_demo_leader_has_a_day_at_the_counter(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["groupbuy", "demo-data", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Demo workbench of" in result.output and "/workbench/ as 团长1: 13800001000" in result.output
    with app.app_context():
        leader_id = db.session.scalar(
            select(Leader.id).join(User, User.id == Leader.user_id).where(User.phone == "13800001000")
        )
        today = dict(
            db.session.execute(
                select(Order.status, func.count())
                .where(Order.leader_id == leader_id, Order.pickup_date == TODAY)
                .group_by(Order.status)
            ).all()
        )
        assert today[OrderStatus.PAID] == 2 and today[OrderStatus.READY_FOR_PICKUP] >= 5
        assert today[OrderStatus.PICKED_UP] >= 1 and today[OrderStatus.COMPLETED] == 1
        past = set(
            db.session.scalars(select(Order.status).where(Order.leader_id == leader_id, Order.pickup_date < TODAY))
        )
        assert past == {OrderStatus.COMPLETED}
        shortage = db.session.execute(
            select(ArrivalShortage).join(Arrival).where(Arrival.leader_id == leader_id, Arrival.pickup_date == TODAY)
        ).scalar_one()
        assert shortage.ordered_quantity - shortage.received_quantity == shortage.refunded_quantity == 3
        refunded = db.session.scalar(
            select(func.sum(OrderLine.refunded_quantity)).where(
                OrderLine.deal_id == shortage.deal_id, OrderLine.refund_reason == RefundReason.SHORTAGE
            )
        )
        assert refunded == 3
        # Every status was reached by a transition (a timeline row each), none of them dated after now.
        handed = db.session.scalars(
            select(Order.id).where(Order.leader_id == leader_id, Order.status == OrderStatus.COMPLETED)
        ).all()
        for order_id in handed:
            events = db.session.scalars(
                select(OrderTimelineEvent.event)
                .where(OrderTimelineEvent.order_id == order_id)
                .order_by(OrderTimelineEvent.id)  # no ORDER BY: PostgreSQL may answer in any order
            ).all()
            assert [e for e in events if e not in (OrderEvent.LINE_REFUND,)] == [
                OrderEvent.PLACE, OrderEvent.PAY, OrderEvent.CONFIRM, OrderEvent.STOCK, OrderEvent.SHIP,
                OrderEvent.ARRIVE, OrderEvent.PICK_UP, OrderEvent.CONFIRM_RECEIPT,
            ]  # fmt: skip
        latest = db.session.scalar(select(func.max(OrderTimelineEvent.at)))
        assert latest is not None and latest <= NOW
        assert db.session.scalar(select(func.sum(GroupPageDay.views)).where(GroupPageDay.leader_id == leader_id))
        ready = today[OrderStatus.READY_FOR_PICKUP]
    with clock.frozen(NOW):
        log_in(client, "13800001000", password="Demo12345")
        page = client.get("/workbench/").text
    assert 'id="to-confirm">2<' in page and f'id="pickups-remaining">{ready}<' in page
    assert csrf_of(page)
