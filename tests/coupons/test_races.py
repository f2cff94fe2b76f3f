"""Claims and coupon checkouts under real concurrency (PostgreSQL): threads released together, each with its own
client and session, as tests/orders/test_concurrency.py does."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.coupons.enums import UserCouponStatus
from groupbuy.coupons.models import CouponMonthlyClaims, CouponTemplate, UserCoupon
from groupbuy.db import db
from groupbuy.orders.models import Order
from tests.factories.coupons import Coupons
from tests.factories.market import T0, Shop, order_body

Call = Callable[..., object]


def _storm(app: Flask, calls: list[Call]) -> Counter[tuple[int, str]]:
    """Run every call in its own thread, all released at once: (status, code) counts."""
    barrier = threading.Barrier(len(calls))
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def run(call: Call) -> None:
        client = app.test_client()
        barrier.wait()
        response = call(client)
        with lock:
            body = response.get_json(silent=True) or {}  # type: ignore[attr-defined]
            answers.append((response.status_code, body.get("code", "")))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    with clock.frozen(T0):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return Counter(answers)


def _claim(template: int, headers: dict[str, str]) -> Call:
    return lambda client: client.post(f"/api/v1/coupons/{template}/claim", headers=headers)


@pytest.mark.pg
@pytest.mark.slow
def test_100_claims_of_a_10_coupon_template_give_exactly_10(
    coupons: Coupons, shop: Shop, busy_app: Flask, app: Flask
) -> None:
    template = coupons.template(total_quantity=10)
    shoppers = [shop.shopper() for _ in range(100)]
    for shopper in shoppers:
        coupons.set_tier(shopper, "accelerate")
    claimers = [shop.key(s) for s in shoppers]
    answers = _storm(busy_app, [_claim(template, h) for h in claimers])
    assert answers == {(201, ""): 10, (409, "coupon_claimed_out"): 90}, answers
    with app.app_context():
        assert db.session.get_one(CouponTemplate, template).claimed_quantity == 10
        assert db.session.scalar(select(func.count()).select_from(UserCoupon)) == 10


@pytest.mark.pg
@pytest.mark.slow
def test_the_monthly_allowance_holds_under_concurrent_claims(
    coupons: Coupons, shop: Shop, busy_app: Flask, app: Flask
) -> None:
    templates = [coupons.template() for _ in range(20)]
    buyer = shop.shopper()
    coupons.set_tier(buyer, "enterprise")  # 4 a month
    answers = _storm(busy_app, [_claim(t, shop.key(buyer)) for t in templates])
    assert answers == {(201, ""): 4, (409, "coupon_monthly_allowance_used"): 16}, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserCoupon)) == 4
        assert db.session.scalars(select(CouponMonthlyClaims.claimed)).all() == [4]
        assert sum(db.session.scalars(select(CouponTemplate.claimed_quantity))) == 4


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_a_coupon_in_two_concurrent_checkouts_is_taken_by_one(
    coupons: Coupons, shop: Shop, busy_app: Flask, app: Flask, round_: int
) -> None:
    deal = shop.deal(price_fen=1500)
    buyer = shop.shopper()
    coupon = coupons.give(buyer, coupons.template(), at=T0)
    body = {**order_body(deal, 1), "coupon_id": coupon}
    calls: list[Call] = [
        (lambda h: lambda client: client.post("/api/v1/orders", json=body, headers=h))(shop.key(buyer))
        for _ in range(2)
    ]
    answers = _storm(busy_app, calls)
    assert answers == {(201, ""): 1, (409, "coupon_unavailable"): 1}, answers
    with app.app_context():
        orders = db.session.scalars(select(Order)).all()
        assert [(o.coupon_id, o.discount_fen, o.payable_fen) for o in orders] == [(coupon, 300, 1200)]
        held = db.session.get_one(UserCoupon, coupon)
        assert (held.status, held.order_id) == (UserCouponStatus.LOCKED, orders[0].id)
