"""Tiers by the last 12 months' paid-minus-refunded spend, recomputed on completion and nightly; never downgraded
twice in one calendar month (Asia/Shanghai); CS grants (audited); the shopper's membership page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.accounts.enums import Role, Tier
from groupbuy.accounts.models import User
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db, transaction
from groupbuy.membership.jobs import recompute_member_tiers
from groupbuy.membership.models import Membership
from groupbuy.membership.service import recompute_tier, yearly_spend
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from groupbuy.orders.service import confirm_receipt
from tests.factories.accounts import bearer, make_user
from tests.factories.catalog import DealFactory
from tests.factories.orders import OrderFactory

NOW = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)


def _spent(user_id: int, yuan: int, at: datetime, **traits: bool) -> Order:
    """A paid order of ``yuan`` placed at ``at`` (refunded=True: refunded in full)."""
    with clock.frozen(at):
        deal = DealFactory(group_price_fen=yuan * 100)
        return OrderFactory(user_id=user_id, deal=deal, placed_at=at, **({"paid": True} | traits))


def _tier(user_id: int) -> Tier:
    db.session.expire_all()
    return db.session.scalars(select(User.tier).where(User.id == user_id)).one()


def test_thresholds_on_paid_minus_refunded_spend(ctx: None) -> None:
    shoppers = {yuan: make_user().id for yuan in (999, 1_000, 4_999, 5_000, 19_999, 20_000)}
    for yuan, user_id in shoppers.items():
        _spent(user_id, yuan, NOW - timedelta(days=30))
    expected = {
        999: Tier.SEED,
        1_000: Tier.ACCELERATE,
        4_999: Tier.ACCELERATE,
        5_000: Tier.ENTERPRISE,
        19_999: Tier.ENTERPRISE,
        20_000: Tier.ENTERPRISE_PRO,
    }
    for yuan, user_id in shoppers.items():
        assert recompute_tier(user_id=user_id, now=NOW).tier == expected[yuan].value, yuan
        assert _tier(user_id) is expected[yuan]


def test_refunds_and_orders_older_than_the_window_do_not_count(ctx: None) -> None:
    user_id = make_user().id
    _spent(user_id, 800, NOW - timedelta(days=10))
    _spent(user_id, 3_000, NOW - timedelta(days=10), refunded=True)
    _spent(user_id, 9_000, NOW - timedelta(days=366))  # paid more than 12 months ago
    OrderFactory(user_id=user_id, placed_at=NOW - timedelta(days=1))  # never paid
    assert yearly_spend(user_id=user_id, now=NOW) == 80_000
    assert recompute_tier(user_id=user_id, now=NOW).tier == "seed"


def test_never_downgraded_twice_in_one_calendar_month(ctx: None) -> None:
    user_id = make_user().id
    _spent(user_id, 15_000, datetime(2025, 12, 5, 2, 0, tzinfo=UTC))
    _spent(user_id, 4_000, datetime(2025, 12, 20, 2, 0, tzinfo=UTC))
    _spent(user_id, 1_000, datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    assert recompute_tier(user_id=user_id, now=NOW).tier == "enterprise_pro"  # ¥20,000 in the last 12 months

    first_drop = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # the ¥15,000 order aged out: ¥5,000 left
    recompute_member_tiers(first_drop)
    assert _tier(user_id) is Tier.ENTERPRISE

    second_drop = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)  # the ¥4,000 order aged out: ¥1,000 is accelerate
    standing = recompute_tier(user_id=user_id, now=second_drop)
    assert (standing.tier, standing.earned_tier, standing.downgrade_held) == ("enterprise", "accelerate", True)
    recompute_member_tiers(second_drop)  # the nightly job, twice: still held
    recompute_member_tiers(second_drop)
    assert _tier(user_id) is Tier.ENTERPRISE

    last_evening_of_december = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: still December
    recompute_member_tiers(last_evening_of_december)
    assert _tier(user_id) is Tier.ENTERPRISE
    january_in_shanghai = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 January in Shanghai
    recompute_member_tiers(january_in_shanghai)
    assert _tier(user_id) is Tier.ACCELERATE
    downgrades = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "membership.tier", AuditEntry.object_id == user_id)
    ).all()
    assert [(e.before["tier"], e.after["tier"]) for e in downgrades] == [  # type: ignore[index]
        ("seed", "enterprise_pro"),
        ("enterprise_pro", "enterprise"),
        ("enterprise", "accelerate"),
    ]


def test_an_upgrade_is_never_held(ctx: None) -> None:
    user_id = make_user().id
    _spent(user_id, 1_000, datetime(2025, 12, 5, 2, 0, tzinfo=UTC))
    recompute_tier(user_id=user_id, now=datetime(2025, 12, 6, 2, 0, tzinfo=UTC))
    recompute_tier(user_id=user_id, now=datetime(2026, 12, 6, 2, 0, tzinfo=UTC))  # aged out: seed
    assert _tier(user_id) is Tier.SEED
    _spent(user_id, 6_000, datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert recompute_tier(user_id=user_id, now=datetime(2026, 12, 7, 3, 0, tzinfo=UTC)).tier == "enterprise"


def test_a_completed_order_recomputes_the_tier(ctx: None) -> None:
    user_id = make_user().id
    order = _spent(user_id, 1_200, NOW - timedelta(days=2))
    with transaction():
        db.session.execute(update(Order).where(Order.id == order.id).values(status=OrderStatus.PICKED_UP))
    confirm_receipt(user_id=user_id, order_id=order.id, now=NOW)
    assert _tier(user_id) is Tier.ACCELERATE
    assert db.session.get_one(Membership, user_id).spend_fen == 120_000


def test_cs_grants_a_tier_audited_and_it_runs_out(client: FlaskClient, app: object) -> None:
    with clock.frozen(NOW):
        with app.app_context():  # type: ignore[attr-defined]
            cs, shopper = make_user(Role.CS), make_user()
            cs_auth, shopper_auth, shopper_id = bearer(cs), bearer(shopper), shopper.id
        until = (NOW + timedelta(days=30)).isoformat()
        body = {"tier": "enterprise", "reason": "补偿：配送延误", "until": until}
        refused = client.post(f"/api/v1/cs/members/{shopper_id}/tier", json=body, headers=shopper_auth)
        assert refused.status_code == 403
        assert client.post("/api/v1/cs/members/999999/tier", json=body, headers=cs_auth).status_code == 404
        path = f"/api/v1/cs/members/{shopper_id}/tier"
        bad = client.post(path, json={"tier": "gold", "reason": "x"}, headers=cs_auth)
        assert bad.status_code == 422
        granted = client.post(f"/api/v1/cs/members/{shopper_id}/tier", json=body, headers=cs_auth)
        assert granted.status_code == 200, granted.json
        assert granted.json["tier"] == "enterprise" and granted.json["earned_tier"] == "seed"
        mine = client.get("/api/v1/me/membership", headers=shopper_auth).json
        assert mine["tier"]["code"] == "enterprise" and mine["granted_until"] is not None
    with app.app_context():  # type: ignore[attr-defined]
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "membership.grant")).one()
        assert entry.actor_id is not None and entry.object_id == shopper_id and entry.reason == "补偿：配送延误"
        assert entry.before == {"tier": "seed", "granted_tier": None, "granted_until": None}
        assert entry.after["tier"] == "enterprise"  # type: ignore[index]
        recompute_member_tiers(NOW + timedelta(days=29))
        assert _tier(shopper_id) is Tier.ENTERPRISE
        recompute_member_tiers(NOW + timedelta(days=31))  # the grant ran out
        assert _tier(shopper_id) is Tier.SEED


def test_my_membership_shows_spend_progress_and_benefits(client: FlaskClient, app: object) -> None:
    with clock.frozen(NOW):
        with app.app_context():  # type: ignore[attr-defined]
            shopper = make_user()
            _spent(shopper.id, 2_000, NOW - timedelta(days=3))
            recompute_tier(user_id=shopper.id, now=NOW)
            auth = bearer(shopper)
        zh = client.get("/api/v1/me/membership", headers=auth).json
        en = client.get("/api/v1/me/membership", headers={**auth, "Accept-Language": "en"}).json
    assert zh["tier"]["code"] == "accelerate" and zh["tier"]["name"] == "成长会员"
    assert en["tier"]["name"] == "Accelerate"
    assert zh["spend_fen"] == 200_000 and zh["next_tier"]["code"] == "enterprise"
    assert zh["to_next_fen"] == 300_000 and zh["progress_percent"] == 25  # ¥1,000 of the ¥4,000 between them
    benefits = {b["code"]: b for b in en["benefits"]}
    assert benefits["member_price"]["enabled"] and benefits["fast_refund"]["enabled"]
    assert not benefits["order_protection"]["enabled"] and benefits["priority_service"]["name_zh"] == "优先客服"
    assert [t["code"] for t in zh["tiers"]] == ["seed", "accelerate", "enterprise", "enterprise_pro"]
