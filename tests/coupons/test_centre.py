"""Templates (admin), the coupon centre (available, claim) and the wallet, through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.audit.models import AuditEntry
from groupbuy.coupons.models import CouponTemplate, UserCoupon
from groupbuy.db import db
from tests.factories.catalog import CategoryFactory, DealFactory
from tests.factories.coupons import Coupons, template_fields
from tests.factories.market import T0, Shop


def _json(fields: dict) -> dict:  # type: ignore[type-arg]
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in fields.items()}


def test_admin_creates_lists_and_changes_templates(coupons: Coupons, client: FlaskClient, app: Flask) -> None:
    admin = coupons.admin_auth()
    with clock.frozen(T0):
        made = client.post(
            "/api/v1/admin/coupon-templates",
            json=_json(template_fields(kind="percent_off", amount_off_fen=None, percent_off=20, max_discount_fen=500)),
            headers=admin,
        )
        assert made.status_code == 201, made.json
        body = made.json
        assert (body["kind"], body["percent_off"], body["max_discount_fen"], body["claimed_quantity"]) == (
            "percent_off",
            20,
            500,
            0,
        )
        assert body["stackable"] is False and body["tiers_allowed"] == []
        listed = client.get("/api/v1/admin/coupon-templates", headers=admin)
        assert [t["id"] for t in listed.json["items"]] == [body["id"]]
        changed = client.patch(
            f"/api/v1/admin/coupon-templates/{body['id']}",
            json={"active": False, "tiers_allowed": ["enterprise", "accelerate"]},
            headers=admin,
        )
        assert changed.status_code == 200
        assert changed.json["active"] is False and changed.json["tiers_allowed"] == ["accelerate", "enterprise"]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["coupon_template.create", "coupon_template.update"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_off_fen": None}, "amount_off_fen"),
        ({"kind": "percent_off", "amount_off_fen": None, "percent_off": 10}, "max_discount_fen"),
        ({"scope": "category"}, "category_id"),
        ({"scope": "deal", "deal_id": 999999}, "deal_id"),
        ({"valid_until": T0 - timedelta(days=3)}, "valid_until"),
        ({"percent_off": 150}, "percent_off"),
    ],
)
def test_inconsistent_templates_are_422(
    coupons: Coupons,
    client: FlaskClient,
    fields: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    with clock.frozen(T0):
        response = client.post(
            "/api/v1/admin/coupon-templates", json=_json(template_fields(**fields)), headers=coupons.admin_auth()
        )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_a_seed_member_has_no_monthly_allowance_but_may_take_a_new_leader_coupon(
    coupons: Coupons, shop: Shop, client: FlaskClient
) -> None:
    buyer = shop.shopper()  # seed: 0 a month
    regular, newcomer = coupons.template(), coupons.template(scope="new_leader")
    with clock.frozen(T0):
        refused = client.post(f"/api/v1/coupons/{regular}/claim", headers=shop.key(buyer))
        assert (refused.status_code, refused.json["code"]) == (409, "coupon_monthly_allowance_used")
        assert client.post(f"/api/v1/coupons/{newcomer}/claim", headers=shop.key(buyer)).status_code == 201


def test_only_admins_keep_templates(coupons: Coupons, shop: Shop, client: FlaskClient) -> None:
    with clock.frozen(T0):
        response = client.post(
            "/api/v1/admin/coupon-templates", json=_json(template_fields()), headers=shop.auth(shop.shopper())
        )
    assert response.status_code == 403


def test_claim_is_idempotent_and_fills_the_wallet(coupons: Coupons, shop: Shop, client: FlaskClient) -> None:
    template = coupons.template(per_user_limit=2)
    buyer = shop.shopper()
    coupons.set_tier(buyer, "enterprise")
    with clock.frozen(T0):
        available = client.get("/api/v1/coupons/available", headers=shop.auth(buyer)).json["items"]
        assert [(c["template"]["id"], c["left"], c["claimed_by_me"]) for c in available] == [(template, 100, 0)]
        headers = shop.key(buyer, "claim-1")
        first = client.post(f"/api/v1/coupons/{template}/claim", headers=headers)
        again = client.post(f"/api/v1/coupons/{template}/claim", headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json["id"] == first.json["id"] and again.headers.get("Idempotent-Replayed") == "true"
        second = client.post(f"/api/v1/coupons/{template}/claim", headers=shop.key(buyer))
        assert second.status_code == 201 and second.json["id"] != first.json["id"]
        third = client.post(f"/api/v1/coupons/{template}/claim", headers=shop.key(buyer))
        assert third.status_code == 409 and third.json["code"] == "coupon_claim_limit"
        assert client.get("/api/v1/coupons/available", headers=shop.auth(buyer)).json["items"] == []
        wallet = client.get("/api/v1/me/coupons", headers=shop.auth(buyer)).json["items"]
        assert sorted(c["id"] for c in wallet) == sorted([first.json["id"], second.json["id"]])
        assert {c["status"] for c in wallet} == {"available"}
    with clock.frozen(T0 + timedelta(days=2)):
        wallet = client.get("/api/v1/me/coupons?status=expired", headers=shop.auth(buyer)).json["items"]
        assert len(wallet) == 2  # past the window: shown expired, nothing stored changed


def test_claim_refusals_have_their_codes(coupons: Coupons, shop: Shop, client: FlaskClient, app: Flask) -> None:
    buyer, other = shop.shopper(), shop.shopper()
    coupons.set_tier(buyer, "enterprise")
    coupons.set_tier(other, "enterprise")
    one = coupons.template(total_quantity=1)
    gold = coupons.template(tiers_allowed=["enterprise_pro"])
    stopped = coupons.template(active=False)
    with clock.frozen(T0):
        assert client.post(f"/api/v1/coupons/{one}/claim", headers=shop.key(other)).status_code == 201
        cases = {one: "coupon_claimed_out", gold: "coupon_tier_not_allowed", stopped: "coupon_not_claimable"}
        for template, code in cases.items():
            response = client.post(f"/api/v1/coupons/{template}/claim", headers=shop.key(buyer))
            assert (response.status_code, response.json["code"]) == (409, code)
        assert client.post("/api/v1/coupons/999999/claim", headers=shop.key(buyer)).status_code == 404
    with clock.frozen(T0 + timedelta(days=2)):
        late = client.post(f"/api/v1/coupons/{gold}/claim", headers=shop.key(buyer))
        assert late.json["code"] == "coupon_expired"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserCoupon)) == 1


def test_the_monthly_allowance_counts_every_template_but_new_leader_ones(
    coupons: Coupons, shop: Shop, client: FlaskClient
) -> None:
    buyer = shop.shopper()
    coupons.set_tier(buyer, "accelerate")  # 2 a month (membership_tiers)
    templates = [coupons.template(valid_until=T0 + timedelta(days=60)) for _ in range(3)]
    newcomer = coupons.template(scope="new_leader")
    with clock.frozen(T0):
        codes = [client.post(f"/api/v1/coupons/{t}/claim", headers=shop.key(buyer)) for t in templates]
        assert [c.status_code for c in codes] == [201, 201, 409]
        assert codes[2].json["code"] == "coupon_monthly_allowance_used"
        assert client.post(f"/api/v1/coupons/{newcomer}/claim", headers=shop.key(buyer)).status_code == 201
    with clock.frozen(T0 + timedelta(days=10)):  # December in Shanghai: a new allowance
        assert client.post(f"/api/v1/coupons/{templates[2]}/claim", headers=shop.key(buyer)).status_code == 201


def test_claimed_quantity_is_counted(coupons: Coupons, shop: Shop, client: FlaskClient, app: Flask) -> None:
    template = coupons.template()
    shoppers = [shop.shopper() for _ in range(3)]
    for shopper in shoppers:
        coupons.set_tier(shopper, "accelerate")
    with clock.frozen(T0):
        for shopper in shoppers:
            assert client.post(f"/api/v1/coupons/{template}/claim", headers=shop.key(shopper)).status_code == 201
    with app.app_context():
        assert db.session.get_one(CouponTemplate, template).claimed_quantity == 3


def test_an_edit_breaking_the_scope_rules_is_422_not_a_database_error(coupons: Coupons, client: FlaskClient) -> None:
    """Checking an edit looks the category up; that lookup must not flush the half-checked edit into the CHECKs."""
    with coupons.app.app_context():
        category_id, deal_id = CategoryFactory().id, DealFactory().id
    template_id = coupons.template(scope="category", category_id=category_id)
    with clock.frozen(T0):
        answer = client.patch(
            f"/api/v1/admin/coupon-templates/{template_id}",
            json={"category_id": category_id, "deal_id": deal_id},
            headers=coupons.admin_auth(),
        )
    assert answer.status_code == 422, answer.json
    assert "deal_id" in answer.json["errors"]
