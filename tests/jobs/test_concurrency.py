"""Jobs against concurrent checkouts and against each other, on PostgreSQL (real row locks)."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from groupbuy import clock, create_app
from groupbuy.catalog.models import Deal
from groupbuy.db import db, dispose_engines
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group, GroupEvent
from groupbuy.jobs.models import JobRun
from groupbuy.jobs.scheduler import JOBS_BY_ID, run_scheduled_job
from groupbuy.notifications.enums import OutboxStatus
from groupbuy.notifications.models import Notification, OutboxMessage
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order, OrderRefund, OrderRefundLine, OrderTimelineEvent
from tests.conftest import busy_config, second_app
from tests.factories.market import T0, Shop, order_body
from tests.factories.notifications import outbox_message
from tests.fakes.senders import install_recording_senders
from tests.jobs.conftest import count, pay, place, run


def _config(database_url: str) -> dict[str, Any]:
    return busy_config(database_url, JOB_BATCH_SIZE=7, OUTBOX_BATCH_SIZE=5)  # many small batches: runners interleave


@pytest.fixture
def busy_app(database_url: str) -> Iterator[Flask]:
    with second_app(database_url, JOB_BATCH_SIZE=7, OUTBOX_BATCH_SIZE=5) as app:
        yield app


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_an_order_racing_the_close_is_in_before_it_or_refused_group_closed(
    shop: Shop, app: Flask, busy_app: Flask, round_: int
) -> None:
    deal = shop.deal(stock=100, min_group_quantity=1)
    pay(app, place(app, shop.shopper(), deal))  # the group exists and will succeed
    buyers = [shop.key(shop.shopper()) for _ in range(30)]
    barrier = threading.Barrier(len(buyers) + 1)
    answers: list[tuple[int, str]] = []

    def buy(headers: dict[str, str]) -> None:
        client = busy_app.test_client()
        barrier.wait()
        response = client.post("/api/v1/orders", json=order_body(deal, 1), headers=headers)
        answers.append((response.status_code, (response.get_json(silent=True) or {}).get("code", "")))

    def close() -> None:
        barrier.wait()
        run_scheduled_job(busy_app, JOBS_BY_ID["close_due_groups"], shop.cutoff)

    threads = [threading.Thread(target=buy, args=(h,)) for h in buyers] + [threading.Thread(target=close)]
    with clock.frozen(T0):  # shoppers still see the deal on sale; the job runs at the cutoff
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    run(app, "close_due_groups", shop.cutoff)  # a group skipped while a checkout held its row closes now

    assert set(answers) <= {(201, ""), (409, "group_closed")}, Counter(answers)
    placed = sum(1 for status, _ in answers if status == 201)
    assert count(app, select(Order)) == placed + 1
    assert count(app, select(Order).where(Order.status == OrderStatus.CANCELLED)) == placed  # unpaid at the close
    with app.app_context():
        group = db.session.scalars(select(Group)).one()
        assert group.status is GroupStatus.SUCCEEDED
        assert (group.units_reserved, group.units_paid) == (1, 1)
        assert db.session.get_one(Deal, deal).stock_available == 99
    assert count(app, select(GroupEvent)) == 1


def _close_in_child(database_url: str, now: datetime, barrier: Any, results: Any) -> None:
    app = create_app(_config(database_url))  # a fresh engine: nothing is shared with the parent's pool
    barrier.wait()
    outcome = run_scheduled_job(app, JOBS_BY_ID["close_due_groups"], now)
    results.put((outcome.errors, outcome.counts))


@pytest.mark.pg
@pytest.mark.slow
def test_three_processes_at_once_then_two_more_runs_move_everything_once(
    shop: Shop, app: Flask, database_url: str
) -> None:
    deals = [shop.deal(stock=50, min_group_quantity=2 if i % 2 == 0 else 10) for i in range(24)]  # half fail
    for deal in deals:
        for _ in range(2):
            pay(app, place(app, shop.shopper(), deal))
        place(app, shop.shopper(), deal, now=shop.cutoff - timedelta(minutes=3))
    for i in range(0, 24, 2):  # mixed orders: one unit in a group that succeeds, one in a group that fails
        pay(app, place(app, shop.shopper(), deals[i], 1, **{str(deals[i + 1]): 1}))
    with app.app_context():
        dispose_engines()  # no inherited connections in the children
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(3), context.Queue()
    children = [
        context.Process(target=_close_in_child, args=(database_url, shop.cutoff, barrier, results)) for _ in range(3)
    ]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=60)
    assert [errors for errors, _ in outcomes] == [None, None, None]
    totals: Counter[str] = Counter()
    for _, counts in outcomes:
        totals.update(counts)
    assert (totals["groups_succeeded"], totals["groups_failed"]) == (12, 12)
    for _ in range(2):
        assert set(run(app, "close_due_groups", shop.cutoff).values()) == {0}

    with app.app_context():
        per_group = db.session.execute(select(GroupEvent.group_id, func.count()).group_by(GroupEvent.group_id)).all()
        assert len(per_group) == 24 and {n for _, n in per_group} == {1}
        per_order = db.session.execute(
            select(OrderTimelineEvent.order_id, OrderTimelineEvent.event, func.count()).group_by(
                OrderTimelineEvent.order_id, OrderTimelineEvent.event
            )
        ).all()
        assert {n for _, _, n in per_order} == {1}
        refunding = db.session.scalars(select(Order).where(Order.status == OrderStatus.REFUNDING)).all()
        assert len(refunding) == 24 and all(o.refund_due_fen == o.paid_fen > 0 for o in refunding)
        mixed = db.session.scalars(select(Order).where(Order.status == OrderStatus.PAID, Order.refund_due_fen > 0))
        assert sorted(o.refund_due_fen for o in mixed) == [990] * 12  # only the failed group's line
        per_line = db.session.execute(
            select(OrderRefundLine.line_id, func.sum(OrderRefundLine.quantity)).group_by(OrderRefundLine.line_id)
        ).all()
        assert len(per_line) == 36 and {q for _, q in per_line} == {1}  # every failed paid line refunded once
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 36
        assert db.session.scalar(select(func.count()).where(Order.status == OrderStatus.CANCELLED)) == 24
        digests = db.session.scalars(
            select(Notification).where(Notification.kind.in_(["leader_stock_list", "leader_group_failed"]))
        ).all()
        assert 1 <= len(digests) <= 3  # one per runner that closed some of the leader's groups
        told = sorted(g for digest in digests for g in digest.payload["group_ids"])
        assert told == sorted(g for g, _ in per_group)  # every group in exactly one digest
        assert db.session.scalar(select(func.count()).where(Notification.kind == "group_failed")) == 24 + 12
        assert db.session.scalar(select(func.count()).where(Notification.kind == "group_partly_succeeded")) == 12
        assert db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.errors.is_not(None))) == 0
        assert all(d.stock_available == 50 - 3 * (d.min_group_quantity == 2) for d in db.session.scalars(select(Deal)))


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_two_deliverers_at_once_send_each_message_once(app: Flask, busy_app: Flask, round_: int) -> None:
    recorder = install_recording_senders(busy_app)
    with app.app_context():
        for i in range(40):
            outbox_message(now=T0, target=f"user{i}@example.com")
    barrier = threading.Barrier(2)
    errors: list[str | None] = []

    def deliver() -> None:
        barrier.wait()
        errors.append(run_scheduled_job(busy_app, JOBS_BY_ID["deliver_notifications"], T0).errors)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [None, None]
    sent = Counter(message.target for message in recorder.sent)
    assert len(sent) == 40 and set(sent.values()) == {1}
    assert count(app, select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)) == 40


@pytest.mark.pg
@pytest.mark.slow
def test_parallel_runners_close_each_group_once_and_never_split_a_leader(shop: Shop, app: Flask) -> None:
    """close_due_groups(runners=3): threads claim whole leaders, so each leader gets one digest per run."""
    from groupbuy.flows.closing import close_due_groups
    from tests.factories.accounts import make_user
    from tests.factories.leaders import LeaderFactory

    with app.app_context(), clock.frozen(shop.starts - timedelta(days=1)):
        leaders = [shop.leader_id] + [LeaderFactory().id for _ in range(5)]
    deals = [shop.deal(stock=100, min_group_quantity=2) for _ in range(4)]
    for leader_id in leaders:
        with app.app_context():
            buyers = [make_user(current_leader_id=leader_id) for _ in range(2)]
            for buyer in buyers:
                db.session.expunge(buyer)
        for deal in deals:
            for buyer in buyers[: 1 + deals.index(deal) % 2]:  # odd deals reach 2 paid units: they succeed
                pay(app, place(app, buyer, deal))

    with app.app_context():
        counts = close_due_groups(now=shop.cutoff, limit=2, runners=3)

    assert (counts["groups_succeeded"], counts["groups_failed"]) == (12, 12)
    assert counts["orders_refunding"] == 12  # one paid order in each failed group
    with app.app_context():
        per_group = dict(
            db.session.execute(select(GroupEvent.group_id, func.count()).group_by(GroupEvent.group_id)).all()
        )
        assert len(per_group) == 24 and set(per_group.values()) == {1}
        digests = db.session.scalars(
            select(Notification).where(Notification.kind.in_(["leader_stock_list", "leader_group_failed"]))
        ).all()
        assert sorted(d.user_id for d in digests) == sorted({d.user_id for d in digests})  # one per leader
        assert len(digests) == 6 and sum(len(d.payload["group_ids"]) for d in digests) == 24
        assert all(
            d.stock_available == 100 - 2 * (i % 2) * 6 for i, d in enumerate(db.session.get(Deal, x) for x in deals)
        )
