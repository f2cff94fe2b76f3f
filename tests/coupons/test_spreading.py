"""The spreading rule for random baskets (Hypothesis): Σ line discounts = the order's discount exactly, each line's
share within a fen of its pro-rata value and never above its total; refunds of a line's units in any steps give
back exactly what the line was paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from groupbuy.coupons.enums import CouponKind, CouponScope, UserCouponStatus
from groupbuy.coupons.service import CouponTerms, PricedLine, discount_of, line_discounts, spread
from groupbuy.orders.service.refund_plans import paid_for_units

NOW = datetime(2026, 11, 22, 2, tzinfo=UTC)
lines_st = st.lists(
    st.builds(
        PricedLine,
        deal_id=st.integers(1, 5),
        category_id=st.integers(1, 3),
        line_total_fen=st.builds(lambda p, q: p * q, st.integers(1, 100_000), st.integers(1, 99)),
    ),
    min_size=1,
    max_size=12,
)


def _terms(kind: CouponKind, amount: int, percent: int, cap: int, scope: CouponScope, target: int) -> CouponTerms:
    return CouponTerms(
        id=1,
        status=UserCouponStatus.AVAILABLE,
        template_id=1,
        name="t",
        kind=kind,
        amount_off_fen=amount if kind is CouponKind.AMOUNT_OFF else None,
        percent_off=percent if kind is CouponKind.PERCENT_OFF else None,
        max_discount_fen=cap if kind is CouponKind.PERCENT_OFF else None,
        min_spend_fen=0,
        scope=scope,
        category_id=target if scope is CouponScope.CATEGORY else None,
        deal_id=target if scope is CouponScope.DEAL else None,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=1),
        tiers_allowed=[],
    )


@given(total=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**8), min_size=1, max_size=20))
def test_spread_adds_up_exactly_and_stays_within_a_fen_of_pro_rata(total: int, weights: list[int]) -> None:
    base = sum(weights)
    total = min(total, base)
    parts = spread(total, weights)
    assert sum(parts) == (total if base else 0)
    for part, weight in zip(parts, weights, strict=True):
        assert 0 <= part <= weight
        if base:
            assert abs(part * base - total * weight) < base  # |part - exact share| < 1 fen


@given(
    lines=lines_st,
    kind=st.sampled_from(CouponKind),
    amount=st.integers(1, 10**6),
    percent=st.integers(1, 99),
    cap=st.integers(1, 10**6),
    scope=st.sampled_from([CouponScope.ALL, CouponScope.CATEGORY, CouponScope.DEAL]),
    target=st.integers(1, 5),
)
def test_line_discounts_add_up_to_the_order_discount(
    lines: list[PricedLine], kind: CouponKind, amount: int, percent: int, cap: int, scope: CouponScope, target: int
) -> None:
    terms = _terms(kind, amount, percent, cap, scope, target)
    covered = [
        line
        for line in lines
        if scope is CouponScope.ALL
        or (scope is CouponScope.CATEGORY and line.category_id == target)
        or (scope is CouponScope.DEAL and line.deal_id == target)
    ]
    if not covered:
        return
    parts = line_discounts(terms, lines, user_id=1, first_order=False, now=NOW)
    eligible = sum(line.line_total_fen for line in covered)
    assert sum(parts) == discount_of(terms, eligible) <= eligible
    for line, part in zip(lines, parts, strict=True):
        assert 0 <= part <= line.line_total_fen
        if line not in covered:
            assert part == 0


@given(
    price=st.integers(1, 100_000),
    quantity=st.integers(1, 99),
    share=st.floats(0, 1),
    steps=st.lists(st.integers(1, 99), min_size=1, max_size=10),
)
def test_refunds_of_a_line_in_any_steps_give_back_what_it_was_paid(
    price: int, quantity: int, share: float, steps: list[int]
) -> None:
    line = SimpleNamespace(unit_price_fen=price, quantity=quantity, discount_fen=int(price * quantity * share))
    done, back = 0, 0
    for step in steps:
        units = min(step, quantity - done)
        amount = paid_for_units(line, done + units) - paid_for_units(line, done)
        assert 0 <= amount <= price * units
        back, done = back + amount, done + units
    back += paid_for_units(line, quantity) - paid_for_units(line, done)
    assert back == price * quantity - line.discount_fen
