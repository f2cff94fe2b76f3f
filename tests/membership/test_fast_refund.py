"""Fast refund: a paid, unconfirmed order cancelled within 2 hours of ordering, within the tier's amount limit, is
refunded at once even past the cutoff (through refund_lines); a monthly cap per shopper; beyond any of them the
normal path (past the cutoff: 409 cutoff_passed)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from groupbuy import clock
from groupbuy.accounts.enums import Tier
from groupbuy.accounts.models import User
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db, transaction
from groupbuy.membership.service import fast_refunds_used
from groupbuy.orders.enums import RefundReason
from groupbuy.orders.models import Order, OrderRefund
from tests.factories.market import Shop
from tests.jobs.conftest import pay, place


def _buyer(shop: Shop, tier: Tier) -> User:
    user = shop.shopper()
    with shop.app.app_context(), transaction():
        db.session.execute(update(User).where(User.id == user.id).values(tier=tier))
    return user


def _paid(shop: Shop, buyer: User, deal: int, *, before_cutoff: timedelta = timedelta(hours=1)) -> int:
    ordered = shop.cutoff - before_cutoff
    order_id = place(shop.app, buyer, deal, now=ordered)
    pay(shop.app, order_id, now=ordered + timedelta(minutes=1))
    return order_id


def _cancel(shop: Shop, client: FlaskClient, buyer: User, order_id: int, *, after_cutoff: timedelta) -> tuple[int, str]:
    with clock.frozen(shop.cutoff + after_cutoff):
        response = client.post(f"/api/v1/orders/{order_id}/cancel", headers=shop.auth(buyer))
    return response.status_code, response.json.get("code") or response.json.get("status")


def _used(app: Flask, buyer: User, shop: Shop) -> int:
    with app.app_context():
        return fast_refunds_used(user_id=buyer.id, now=shop.cutoff)


def test_inside_the_window_and_limit_the_order_is_refunded_at_once_past_the_cutoff(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    deal = shop.deal(price_fen=9_900)
    buyer = _buyer(shop, Tier.ACCELERATE)  # ¥100 limit, 2 a month
    order_id = _paid(shop, buyer, deal)
    assert _cancel(shop, client, buyer, order_id, after_cutoff=timedelta(minutes=59)) == (200, "refunding")
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        assert (order.refund_due_fen, order.payable_fen) == (9_900, 0)
        refund = db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order_id)).one()
        assert (refund.reason, refund.amount_fen) == (RefundReason.ORDER_CANCELLED, 9_900)
        assert refund.actor == f"user:{buyer.id}"
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.fast_refund")).one()
        assert audit.object_id == order_id and audit.after["amount_fen"] == 9_900  # type: ignore[index]
    assert _used(app, buyer, shop) == 1


def test_outside_the_window_the_normal_path_refuses(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=990)
    buyer = _buyer(shop, Tier.ENTERPRISE_PRO)
    order_id = _paid(shop, buyer, deal)  # ordered 1 h before the cutoff: the window ends 1 h after it
    assert _cancel(shop, client, buyer, order_id, after_cutoff=timedelta(hours=1, minutes=1)) == (409, "cutoff_passed")
    assert _used(app, buyer, shop) == 0
    assert _cancel(shop, client, buyer, order_id, after_cutoff=timedelta(hours=1)) == (200, "refunding")  # 2 h sharp


def test_over_the_tier_limit_or_without_the_benefit_the_normal_path_refuses(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    over = _buyer(shop, Tier.ACCELERATE)
    order_id = _paid(shop, over, shop.deal(price_fen=10_001))  # ¥100.01 > ¥100
    assert _cancel(shop, client, over, order_id, after_cutoff=timedelta(minutes=5)) == (409, "cutoff_passed")
    seed = _buyer(shop, Tier.SEED)  # no fast refund at all
    order_id = _paid(shop, seed, shop.deal(price_fen=100))
    assert _cancel(shop, client, seed, order_id, after_cutoff=timedelta(minutes=5)) == (409, "cutoff_passed")
    assert _used(app, over, shop) == _used(app, seed, shop) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderRefund)) == 0


def test_the_monthly_cap_then_the_normal_path(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=990)
    buyer = _buyer(shop, Tier.ACCELERATE)  # 2 a month
    orders = [_paid(shop, buyer, deal) for _ in range(3)]
    assert _cancel(shop, client, buyer, orders[0], after_cutoff=timedelta(minutes=1)) == (200, "refunding")
    assert _cancel(shop, client, buyer, orders[1], after_cutoff=timedelta(minutes=2)) == (200, "refunding")
    assert _cancel(shop, client, buyer, orders[2], after_cutoff=timedelta(minutes=3)) == (409, "cutoff_passed")
    assert _used(app, buyer, shop) == 2


def test_before_the_cutoff_a_cancellation_is_the_normal_refund_and_uses_no_fast_refund(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    buyer = _buyer(shop, Tier.ACCELERATE)
    order_id = _paid(shop, buyer, shop.deal(price_fen=990))
    assert _cancel(shop, client, buyer, order_id, after_cutoff=-timedelta(minutes=30)) == (200, "refunding")
    assert _used(app, buyer, shop) == 0
