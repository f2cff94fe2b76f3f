"""close_due_groups: the decision, refunds, cancellations and notices, each exactly once; late runs catch up."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.db import db
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group, GroupEvent
from groupbuy.notifications.models import Notification, OutboxMessage
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderTimelineEvent
from tests.conftest import tune
from tests.factories.market import T0, Shop
from tests.jobs.conftest import count, leader_user_id, pay, place, run
from tests.rows import CHECKOUT, unchanged


def _group(app: Flask, deal_id: int) -> Group:
    with app.app_context():
        group = db.session.scalars(select(Group).where(Group.deal_id == deal_id)).one()
        db.session.expunge(group)
        return group


def _order(app: Flask, order_id: int) -> Order:
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        db.session.expunge(order)
        return order


def _snapshot(app: Flask) -> dict[str, int]:
    """Row counts of everything a job writes (the ledger aside)."""
    tables = (Group, GroupEvent, Order, OrderTimelineEvent, Notification, OutboxMessage)
    with app.app_context():
        counts = {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
        counts["open_groups"] = (
            db.session.scalar(select(func.count()).select_from(Group).where(Group.status == GroupStatus.OPEN)) or 0
        )
        counts["live_orders"] = (
            db.session.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.status.in_([OrderStatus.PENDING_PAYMENT, OrderStatus.PAID]))
            )
            or 0
        )
        return counts


def test_below_the_threshold_fails_and_every_paid_order_is_refunding_once(shop: Shop, app: Flask) -> None:
    deal = shop.deal(stock=20, min_group_quantity=5, price_fen=300)
    alice, bob, carol = shop.shopper(), shop.shopper(), shop.shopper()
    paid = [place(app, alice, deal, 2), place(app, bob, deal, 2)]
    for order_id in paid:
        pay(app, order_id)
    unpaid = place(app, carol, deal, 1, now=shop.cutoff - timedelta(minutes=5))

    counts = run(app, "close_due_groups", shop.cutoff)

    assert counts["groups_failed"] == 1 and counts["groups_succeeded"] == 0
    assert (counts["orders_refunding"], counts["orders_cancelled"]) == (2, 1)
    group = _group(app, deal)
    assert group.status is GroupStatus.FAILED
    assert (group.units_reserved, group.units_paid) == (0, 0)
    for order_id in paid:
        order = _order(app, order_id)
        assert order.status is OrderStatus.REFUNDING
        assert order.refund_due_fen == order.paid_fen == 600
    assert _order(app, unpaid).status is OrderStatus.CANCELLED
    with app.app_context():
        assert db.session.get_one(Deal, deal).stock_available == 20
        assert db.session.scalar(select(func.sum(UserDealPurchase.quantity))) == 0
    fail_events = select(OrderTimelineEvent).where(OrderTimelineEvent.event == OrderEvent.GROUP_FAIL)
    assert count(app, fail_events) == 3
    assert count(app, fail_events.where(OrderTimelineEvent.actor == "system")) == 3
    assert count(app, select(GroupEvent).where(GroupEvent.to_status == GroupStatus.FAILED)) == 1
    told = select(Notification).where(Notification.kind == "group_failed")
    assert count(app, told) == 3
    with app.app_context():
        bodies = db.session.scalars(told.where(Notification.user_id == alice.id).with_only_columns(Notification.body))
        assert ["¥6.00 将原路退回" in body for body in bodies] == [True]
    leader = select(Notification).where(Notification.user_id == leader_user_id(app, shop))
    assert count(app, leader.where(Notification.kind == "leader_group_failed")) == 1

    before = _snapshot(app)
    again = run(app, "close_due_groups", shop.cutoff)
    assert set(again.values()) == {0}
    assert _snapshot(app) == before


def test_at_the_threshold_it_succeeds_and_unpaid_orders_are_cancelled(shop: Shop, app: Flask) -> None:
    deal = shop.deal(stock=20, min_group_quantity=4)
    buyers = [shop.shopper() for _ in range(3)]
    paid = [place(app, buyers[0], deal, 3), place(app, buyers[1], deal, 1)]
    for order_id in paid:
        pay(app, order_id)
    late = place(app, buyers[2], deal, 2, now=shop.cutoff - timedelta(minutes=1))

    counts = run(app, "close_due_groups", shop.cutoff + timedelta(seconds=1))

    assert (counts["groups_succeeded"], counts["orders_refunding"], counts["orders_cancelled"]) == (1, 0, 1)
    group = _group(app, deal)
    assert group.status is GroupStatus.SUCCEEDED
    assert (group.units_reserved, group.units_paid) == (4, 4)
    assert [_order(app, o).status for o in paid] == [OrderStatus.PAID, OrderStatus.PAID]
    assert _order(app, late).status is OrderStatus.CANCELLED
    assert count(app, select(OrderTimelineEvent).where(OrderTimelineEvent.event == OrderEvent.EXPIRE)) == 1
    with app.app_context():
        assert db.session.get_one(Deal, deal).stock_available == 16
        stock_list = db.session.scalars(
            select(Notification).where(Notification.user_id == leader_user_id(app, shop))
        ).one()
        assert stock_list.kind == "leader_stock_list"
        assert "共 4 件" in stock_list.body and "2026-11-23" in stock_list.body
        assert stock_list.payload["units"] == 4
        sms = db.session.scalars(select(OutboxMessage).where(OutboxMessage.notification_id == stock_list.id)).one()
        assert sms.transport.value == "sms"
    assert count(app, select(Notification).where(Notification.kind == "group_succeeded")) == 2
    assert count(app, select(Notification).where(Notification.kind == "order_expired")) == 1

    before = _snapshot(app)
    assert set(run(app, "close_due_groups", shop.cutoff + timedelta(seconds=1)).values()) == {0}
    assert _snapshot(app) == before


def test_nothing_closes_before_the_cutoff(shop: Shop, app: Flask) -> None:
    deal = shop.deal()
    pay(app, place(app, shop.shopper(), deal))
    assert set(run(app, "close_due_groups", shop.cutoff - timedelta(seconds=1)).values()) == {0}
    assert _group(app, deal).status is GroupStatus.OPEN


def test_an_order_in_a_failed_and_a_succeeded_group_refunds_only_the_failed_line(shop: Shop, app: Flask) -> None:
    fails, succeeds = shop.deal(stock=10, min_group_quantity=9), shop.deal(stock=10, min_group_quantity=1)
    order_id = place(app, shop.shopper(), fails, 1, **{str(succeeds): 2})
    pay(app, order_id)
    run(app, "close_due_groups", shop.cutoff)
    order = _order(app, order_id)
    assert order.status is OrderStatus.PAID and order.refund_due_fen == 990 and order.payable_fen == 2 * 990
    assert (_group(app, fails).status, _group(app, succeeds).status) == (GroupStatus.FAILED, GroupStatus.SUCCEEDED)
    assert (_group(app, succeeds).units_reserved, _group(app, succeeds).units_paid) == (2, 2)
    with app.app_context():
        assert [db.session.get_one(Deal, d).stock_available for d in (fails, succeeds)] == [10, 8]


def test_scheduler_down_two_hours_everything_due_is_handled_in_the_first_run(
    shop: Shop, app: Flask, runner: object
) -> None:
    """Groups and payment windows that came due at different times in the gap are all handled by one run."""
    deals = [shop.deal(stock=50, min_group_quantity=2) for _ in range(4)]
    for offset, deal in zip((0, 30, 90, 150), deals, strict=True):  # the last one is due only after the gap
        shop.set_deal(deal, cutoff_at=shop.cutoff + timedelta(minutes=offset))
    for deal in deals:
        for _ in range(2):
            pay(app, place(app, shop.shopper(), deal))
        place(app, shop.shopper(), deal, now=shop.cutoff - timedelta(minutes=20))  # window ends in the gap
    tune(app, job_batch_size=2)  # several batches inside the one run
    back = shop.cutoff + timedelta(hours=2)

    result = runner.invoke(args=["groupbuy", "run-job", "close_due_groups", "--now", back.isoformat()])  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    assert '"groups_succeeded": 3' in result.output
    expired = run(app, "expire_unpaid_orders", back)

    statuses = [_group(app, d).status for d in deals]
    assert statuses == [GroupStatus.SUCCEEDED] * 3 + [GroupStatus.OPEN]
    assert expired == {"orders_expired": 1}  # the open group's unpaid order: its window ended in the gap
    assert count(app, select(Order).where(Order.status == OrderStatus.PENDING_PAYMENT)) == 0
    assert count(app, select(GroupEvent)) == 3
    before = _snapshot(app)
    for job in ("close_due_groups", "expire_unpaid_orders"):
        assert set(run(app, job, back).values()) == {0}
    assert _snapshot(app) == before


def test_placing_after_the_close_is_refused_with_group_closed(shop: Shop, app: Flask, client: FlaskClient) -> None:
    from groupbuy import clock
    from tests.factories.market import T0, order_body

    deal = shop.deal()
    buyer = shop.shopper()
    pay(app, place(app, buyer, deal))
    shop.set_deal(deal, cutoff_at=T0)
    run(app, "close_due_groups", T0)
    shop.set_deal(deal, cutoff_at=shop.cutoff)  # the deal is on sale again: the closed group still refuses
    with clock.frozen(T0), unchanged(app, *CHECKOUT):
        response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=shop.key(buyer))
    assert response.status_code == 409 and response.json["code"] == "group_closed"


def test_each_decision_equals_a_recount_of_paid_units_against_the_threshold(shop: Shop, app: Flask) -> None:
    """The job applies close_group's rule: succeeded exactly when the paid units reach min_group_quantity."""
    cases = [(threshold, paid) for threshold in (1, 2, 3) for paid in (0, threshold - 1, threshold, threshold + 1)]
    deals = []
    for threshold, paid in cases:
        deal = shop.deal(stock=20, min_group_quantity=threshold)
        place(app, shop.shopper(), deal, 2, now=shop.cutoff - timedelta(minutes=1))  # unpaid units never count
        if paid:
            pay(app, place(app, shop.shopper(), deal, paid))
        deals.append(deal)
    run(app, "close_due_groups", shop.cutoff)
    with app.app_context():
        for (threshold, paid), deal in zip(cases, deals, strict=True):
            group = db.session.scalars(select(Group).where(Group.deal_id == deal)).one()
            event = db.session.scalars(select(GroupEvent).where(GroupEvent.group_id == group.id)).one()
            expected = GroupStatus.SUCCEEDED if paid >= threshold else GroupStatus.FAILED
            assert (group.status, event.to_status, event.units_paid) == (expected, expected, paid), (threshold, paid)
            assert (event.from_status, event.actor) == (GroupStatus.OPEN, "system")
            assert group.closed_at == shop.cutoff


def test_no_notice_for_groups_nobody_paid_into_and_one_digest_per_leader(shop: Shop, app: Flask) -> None:
    from groupbuy.groups.enums import GroupOpenedBy
    from groupbuy.groups.service import open_group

    empty, unpaid_only = shop.deal(min_group_quantity=1), shop.deal(min_group_quantity=1)
    stocked, failed = shop.deal(min_group_quantity=1), shop.deal(min_group_quantity=5)
    with app.app_context():
        open_group(leader_id=shop.leader_id, deal_id=empty, opened_by=GroupOpenedBy.LEADER, now=T0)
    place(app, shop.shopper(), unpaid_only, now=shop.cutoff - timedelta(minutes=1))
    pay(app, place(app, shop.shopper(), stocked, 2))
    pay(app, place(app, shop.shopper(), failed, 1))

    run(app, "close_due_groups", shop.cutoff)

    leader = select(Notification).where(Notification.user_id == leader_user_id(app, shop))
    with app.app_context():
        (digest,) = db.session.scalars(leader).all()  # one for the whole run, naming only groups with money in
        assert digest.kind == "leader_stock_list" and digest.payload["units"] == 2
        assert sorted(digest.payload["group_ids"]) == sorted(_group(app, d).id for d in (stocked, failed))
        assert "未成团（已付 1 / 需 5 件）" in digest.body
