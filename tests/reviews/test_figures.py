"""The figures reviews keep: the leader rating over six months (old ratings age out), the credit ledger of seed
001, and the standing that ranks the deal list after the text match."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.groups.models import Group
from groupbuy.leaders.enums import CreditKind
from groupbuy.leaders.models import Leader, LeaderCreditEvent
from groupbuy.reviews import standing
from groupbuy.reviews.jobs import refresh_review_figures
from tests.factories.catalog import DealFactory, ProductFactory, SkuFactory
from tests.factories.leaders import LeaderFactory
from tests.factories.market import T0
from tests.factories.orders import group_of
from tests.factories.reviews import completed_order, review


def _leader(app: Flask) -> int:
    with app.app_context(), clock.frozen(T0):
        return LeaderFactory().id


def _rate(app: Flask, client: FlaskClient, leader_id: int, stars: int, *, at=T0, goods: int = 5, **more) -> int:  # type: ignore[no-untyped-def]
    with app.app_context(), clock.frozen(at):
        bought = completed_order(leader_id=leader_id, **more)
    with clock.frozen(at):
        response = review(client, bought, [{"order_item_id": bought.line_ids[0], "rating": goods}], leader_rating=stars)
    assert response.status_code == 201, response.get_json()
    return bought.deal_ids[0]


def _leader_figures(app: Flask, leader_id: int) -> tuple[int | None, int, int]:
    with app.app_context():
        leader = db.session.get_one(Leader, leader_id)
        return leader.rating_bp, leader.rating_count, leader.credit_score


def test_the_leader_rating_is_the_positive_share_kept_current_on_each_review(app: Flask, client: FlaskClient) -> None:
    leader = _leader(app)
    assert _leader_figures(app, leader) == (None, 0, 0)
    for stars in (5, 4, 3, 1):
        _rate(app, client, leader, stars)
    rating_bp, count, _ = _leader_figures(app, leader)
    assert (rating_bp, count) == (5000, 4)  # 2 of 4 positive
    page = client.get(f"/api/v1/leaders/{leader}/reviews").get_json()
    assert page["rating_bp"] == 5000 and page["rating_count"] == 4 and page["total"] == 4


def test_the_six_month_window_drops_old_ratings(app: Flask, client: FlaskClient) -> None:
    leader = _leader(app)
    _rate(app, client, leader, 1, at=T0)  # old and negative
    _rate(app, client, leader, 5, at=T0 + timedelta(days=100))
    assert _leader_figures(app, leader)[:2] == (5000, 2)
    with app.app_context():
        with clock.frozen(T0 + timedelta(days=150)):
            refresh_review_figures(clock.now())
        assert _leader_figures(app, leader)[:2] == (5000, 2)  # both inside the window
        refresh_review_figures(T0 + timedelta(days=184))  # the first aged out (183-day window)
        assert _leader_figures(app, leader)[:2] == (10000, 1)
        refresh_review_figures(T0 + timedelta(days=100 + 184))
        assert _leader_figures(app, leader)[:2] == (None, 0)
        refresh_review_figures(T0 + timedelta(days=100 + 184))  # twice is harmless
        assert _leader_figures(app, leader)[:2] == (None, 0)


def test_the_credit_ledger_follows_seed_001(app: Flask, client: FlaskClient) -> None:
    leader = _leader(app)
    for stars in (5, 4, 3, 2, 1):
        _rate(app, client, leader, stars)
    _rate(app, client, leader, 5, refunded_fen=100)  # a refunded trade: positive becomes neutral
    _rate(app, client, leader, 3, refunded_fen=100)
    _rate(app, client, leader, 1, refunded_fen=100)  # negative stays negative
    with app.app_context():
        points = list(
            db.session.scalars(
                select(LeaderCreditEvent.points)
                .where(LeaderCreditEvent.leader_id == leader, LeaderCreditEvent.kind == CreditKind.REVIEW)
                .order_by(LeaderCreditEvent.id)
            )
        )
    assert points == [2, 2, 0, -2, -2, 0, 0, -2]
    assert _leader_figures(app, leader)[2] == sum(points)


def test_the_credit_recompute_job_is_scheduled() -> None:
    from groupbuy.jobs.scheduler import JOBS_BY_ID

    assert "refresh_leader_credit" in JOBS_BY_ID and "refresh_review_figures" in JOBS_BY_ID


def test_standing_prefers_more_evidence_and_centres_on_the_prior() -> None:
    neutral = standing.standing(
        deal_rating_bp=None, deal_count=0, leader_rating_bp=None, leader_count=0, leader_credit=0
    )
    assert neutral == 0
    lucky = standing.standing(
        deal_rating_bp=10000, deal_count=1, leader_rating_bp=None, leader_count=0, leader_credit=0
    )
    proven = standing.standing(
        deal_rating_bp=9800, deal_count=100, leader_rating_bp=None, leader_count=0, leader_credit=0
    )
    poor = standing.standing(deal_rating_bp=2000, deal_count=10, leader_rating_bp=None, leader_count=0, leader_credit=0)
    assert proven > lucky > neutral > poor
    credited = standing.standing(
        deal_rating_bp=None, deal_count=0, leader_rating_bp=None, leader_count=0, leader_credit=30
    )
    assert credited == 300 and neutral < credited


def _apple(app: Flask, *, hours_to_cutoff: int, leader_id: int | None = None) -> int:
    with app.app_context(), clock.frozen(T0):
        product = ProductFactory(name="烟台苹果", description="脆甜多汁的红富士苹果，产地直发")
        deal = DealFactory(
            sku=SkuFactory(product=product), title="烟台苹果 5 kg", cutoff_at=T0 + timedelta(hours=hours_to_cutoff)
        )
        if leader_id is not None:
            group_of(leader_id=leader_id, deal_id=deal.id)
        return deal.id


def _ids(client: FlaskClient, q: str) -> list[int]:
    with clock.frozen(T0 + timedelta(minutes=5)):
        return [item["id"] for item in client.get("/api/v1/deals", query_string={"q": q}).get_json()["items"]]


def test_the_deal_list_ranks_match_then_standing_then_recency(app: Flask, client: FlaskClient) -> None:
    good_leader, poor_leader = _leader(app), _leader(app)
    # The poor leader's deal closes sooner (it would come first on recency alone); standing decides instead.
    poor_deal = _apple(app, hours_to_cutoff=2, leader_id=poor_leader)
    good_deal = _apple(app, hours_to_cutoff=20, leader_id=good_leader)
    with app.app_context(), clock.frozen(T0):
        other = DealFactory(title="苹果醋").id  # a weaker text match (description only? no: title) ranks by match
    assert _ids(client, "烟台苹果")[:2] == [poor_deal, good_deal]  # nothing rated yet: closing soonest
    # the leaders earn ratings and credit on other deals' orders, a month earlier
    for _ in range(3):
        _rate(app, client, good_leader, 5, at=T0 - timedelta(days=30))
        _rate(app, client, poor_leader, 1, at=T0 - timedelta(days=30))
    with app.app_context():
        refresh_review_figures(T0)
        assert db.session.get_one(Deal, good_deal).standing > db.session.get_one(Deal, poor_deal).standing
    assert _ids(client, "烟台苹果")[:2] == [good_deal, poor_deal]
    assert other not in _ids(client, "烟台苹果")


def test_a_deals_own_reviews_lift_it_and_its_leader_is_its_largest_group(app: Flask, client: FlaskClient) -> None:
    small, large = _leader(app), _leader(app)
    with app.app_context(), clock.frozen(T0):
        deal = DealFactory()
        for leader_id, units in ((small, 1), (large, 5)):
            group = group_of(leader_id=leader_id, deal_id=deal.id)
            with transaction():
                db.session.execute(
                    update(Group).where(Group.id == group.id).values(units_reserved=units, units_paid=units)
                )
        from groupbuy.reviews.service.figures import deal_leaders

        assert deal_leaders([deal.id]) == {deal.id: large}
