"""Many posts of the same line at once (PostgreSQL, real threads): one review, one leader rating, one credit event."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.db import db
from groupbuy.errors import Conflict
from groupbuy.leaders.models import Leader, LeaderCreditEvent
from groupbuy.reviews.models import LeaderRating, Review
from groupbuy.reviews.service import post_reviews
from tests.factories.market import T0
from tests.factories.reviews import completed_order


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_reviews_of_one_line_make_one(app: Flask, round_: int) -> None:
    with app.app_context(), clock.frozen(T0):
        bought = completed_order()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def post() -> None:
        with app.app_context():
            barrier.wait()
            try:
                post_reviews(
                    user_id=bought.buyer_id,
                    order_id=bought.order_id,
                    items=[{"order_item_id": bought.line_ids[0], "rating": 5}],
                    leader_rating=5,
                    now=T0,
                )
                outcomes.append("ok")
            except Conflict as refused:
                outcomes.append(refused.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["review_exists"] * 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == 1
        assert db.session.scalar(select(func.count()).select_from(LeaderRating)) == 1
        assert db.session.scalar(select(func.count()).select_from(LeaderCreditEvent)) == 1
        leader = db.session.get_one(Leader, bought.leader_id)
        assert (leader.rating_count, leader.credit_score) == (1, 2)
