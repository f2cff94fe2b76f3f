"""Admin deals: validation per field, allocation taken atomically from the SKU, cancellation returning it once."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy.audit.models import AuditEntry
from groupbuy.catalog import service
from groupbuy.catalog.models import Deal, Sku
from groupbuy.db import db
from tests.catalog.conftest import T0, allocated_to_live_deals, audit_actions, deal_body, sku_stock
from tests.factories.catalog import ProductFactory, SkuFactory
from tests.rows import unchanged

CHINA = timezone(timedelta(hours=8))


def _create(client: FlaskClient, headers: dict[str, str], sku_id: int, /, **overrides: Any):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/admin/deals", json=deal_body(sku_id, **overrides), headers=headers)


def _deal_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Deal)) or 0


def test_create_a_deal_takes_its_units_from_the_sku(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int, app: Flask
) -> None:
    response = _create(client, admin_headers, sku_id, stock_allocated=30)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["stock_allocated"], body["stock_available"], body["status"]) == (30, 30, "active")
    assert (body["group_price_fen"], body["min_group_quantity"], body["limit_per_user"]) == (1990, 5, 3)
    assert body["pickup_date"] == "2026-11-22"
    assert body["cutoff_at"] == "2026-11-21T02:00:00+00:00"
    assert body["cancelled_at"] is None
    with app.app_context():
        sku = db.session.get(Deal, body["id"]).sku
        assert body["title"] == f"{sku.product.name} {sku.spec}"
    assert sku_stock(app, sku_id) == 70
    assert audit_actions(app, "deal") == ["deal.create"]


def test_defaults_and_a_chosen_title(client: FlaskClient, admin_headers: dict[str, str], sku_id: int) -> None:
    body = deal_body(sku_id, title="  今日爆品 苹果 ")
    del body["min_group_quantity"], body["limit_per_user"]
    response = client.post("/api/v1/admin/deals", json=body, headers=admin_headers)
    assert response.status_code == 201
    assert (response.json["title"], response.json["min_group_quantity"], response.json["limit_per_user"]) == (
        "今日爆品 苹果",
        1,
        99,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cutoff_at": T0.isoformat()}, "cutoff_at"),  # not after the start
        ({"starts_at": "2026-11-19T00:00:00+00:00", "cutoff_at": "2026-11-20T01:00:00+00:00"}, "cutoff_at"),  # past
        ({"pickup_date": "2026-11-20"}, "pickup_date"),
        # 17:00 UTC is already the next day in Shanghai: a pickup on the UTC date would come before the cutoff
        ({"cutoff_at": "2026-11-20T17:00:00+00:00", "pickup_date": "2026-11-20"}, "pickup_date"),
        ({"group_price_fen": 0}, "group_price_fen"),
        ({"group_price_fen": -100}, "group_price_fen"),
        ({"group_price_fen": 19.9}, "group_price_fen"),
        ({"min_group_quantity": 0}, "min_group_quantity"),
        ({"limit_per_user": 0}, "limit_per_user"),
        ({"stock_allocated": 0}, "stock_allocated"),
        ({"stock_allocated": "5"}, "stock_allocated"),
        ({"starts_at": "2026-11-20T02:00:00"}, "starts_at"),  # naive time
        ({"pickup_date": "tomorrow"}, "pickup_date"),
        ({"sku_id": 999999}, "sku_id"),
        ({"stock_available": 5}, "stock_available"),
        ({"status": "cancelled"}, "status"),
    ],
)
def test_deal_fields_are_validated_per_field(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int, app: Flask, overrides: dict[str, Any], field: str
) -> None:
    response = _create(client, admin_headers, sku_id, **overrides)
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert sku_stock(app, sku_id) == 100
    assert _deal_count(app) == 0


def test_pickup_on_the_cutoffs_shanghai_date_is_accepted(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int
) -> None:
    response = _create(client, admin_headers, sku_id, cutoff_at="2026-11-20T17:00:00+00:00", pickup_date="2026-11-21")
    assert response.status_code == 201


def test_several_problems_are_reported_together(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int
) -> None:
    response = _create(client, admin_headers, sku_id, cutoff_at=T0.isoformat(), pickup_date="2026-01-01")
    assert response.status_code == 422
    assert {"cutoff_at", "pickup_date"} <= set(response.json["errors"])


@pytest.mark.parametrize("trait", ["held", "inactive"])
def test_the_product_must_be_active(client: FlaskClient, admin_headers: dict[str, str], app: Flask, trait: str) -> None:
    with app.app_context():
        sku = SkuFactory(product=ProductFactory(**{trait: True}), stock=50).id
    response = _create(client, admin_headers, sku)
    assert response.status_code == 422
    assert response.json["code"] == "product_not_active"
    assert "sku_id" in response.json["errors"]
    assert sku_stock(app, sku) == 50


def test_more_than_the_free_stock_is_409(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int, app: Flask
) -> None:
    assert _create(client, admin_headers, sku_id, stock_allocated=60).status_code == 201
    response = _create(client, admin_headers, sku_id, stock_allocated=41)
    assert response.status_code == 409
    assert response.json["code"] == "insufficient_stock"
    assert sku_stock(app, sku_id) == 40
    assert _create(client, admin_headers, sku_id, stock_allocated=40).status_code == 201
    assert sku_stock(app, sku_id) == 0
    assert allocated_to_live_deals(app, sku_id) == 100
    assert _deal_count(app) == 2


def test_admin_lists_and_reads_deals(client: FlaskClient, admin_headers: dict[str, str], sku_id: int) -> None:
    first = _create(client, admin_headers, sku_id).json["id"]
    second = _create(client, admin_headers, sku_id).json["id"]
    client.post(f"/api/v1/admin/deals/{first}/cancel", headers=admin_headers)
    page = client.get("/api/v1/admin/deals", headers=admin_headers).json
    assert [d["id"] for d in page["items"]] == [second, first]
    assert page["total"] == 2
    active = client.get("/api/v1/admin/deals?status=active", headers=admin_headers).json["items"]
    assert [d["id"] for d in active] == [second]
    assert client.get(f"/api/v1/admin/deals?sku_id={sku_id}", headers=admin_headers).json["total"] == 2
    detail = client.get(f"/api/v1/admin/deals/{first}", headers=admin_headers)
    assert detail.status_code == 200
    assert detail.json["status"] == "cancelled"
    assert client.get("/api/v1/admin/deals/999999", headers=admin_headers).status_code == 404


def test_cancel_returns_the_units_exactly_once(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int, app: Flask
) -> None:
    deal = _create(client, admin_headers, sku_id, stock_allocated=30).json["id"]
    response = client.post(f"/api/v1/admin/deals/{deal}/cancel", headers=admin_headers)
    assert response.status_code == 200
    assert (response.json["status"], response.json["cancelled_at"]) == ("cancelled", T0.isoformat())
    assert sku_stock(app, sku_id) == 100
    again = client.post(f"/api/v1/admin/deals/{deal}/cancel", headers=admin_headers)
    assert again.status_code == 409
    assert again.json["code"] == "deal_cancelled"
    assert sku_stock(app, sku_id) == 100
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "deal.cancel"))
        assert (entry.before["status"], entry.after["status"]) == ("active", "cancelled")


def test_a_deal_that_sold_cannot_be_cancelled(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int, app: Flask
) -> None:
    deal = _create(client, admin_headers, sku_id, stock_allocated=10).json["id"]
    with app.app_context():
        assert service.reserve_deal_stock(deal_id=deal, quantity=1) is True
    with unchanged(app, Deal, Sku, AuditEntry):
        response = client.post(f"/api/v1/admin/deals/{deal}/cancel", headers=admin_headers)
    assert response.status_code == 409
    assert response.json["code"] == "deal_has_sales"
    assert sku_stock(app, sku_id) == 90
    with app.app_context():
        service.release_deal_stock(deal_id=deal, quantity=1)
    assert client.post(f"/api/v1/admin/deals/{deal}/cancel", headers=admin_headers).status_code == 200
    assert sku_stock(app, sku_id) == 100


def test_cancel_unknown_deal_is_404(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    assert client.post("/api/v1/admin/deals/999999/cancel", headers=admin_headers).status_code == 404


def test_deal_routes_need_the_admin_role(client: FlaskClient, shopper_headers: dict[str, str], sku_id: int) -> None:
    assert _create(client, {}, sku_id).status_code == 401
    assert _create(client, shopper_headers, sku_id).status_code == 403
    assert client.get("/api/v1/admin/deals", headers=shopper_headers).status_code == 403
    assert client.get("/api/v1/admin/deals/1", headers=shopper_headers).status_code == 403
    assert client.post("/api/v1/admin/deals/1/cancel", headers=shopper_headers).status_code == 403


def test_a_deal_posted_with_plus_eight_answers_in_utc_on_post_and_get(
    client: FlaskClient, admin_headers: dict[str, str], sku_id: int
) -> None:
    starts, cutoff = T0.astimezone(CHINA), (T0 + timedelta(hours=30)).astimezone(CHINA)
    body = deal_body(sku_id, starts_at=starts.isoformat(), cutoff_at=cutoff.isoformat(), pickup_date="2026-11-23")
    created = client.post("/api/v1/admin/deals", json=body, headers=admin_headers)
    assert created.status_code == 201, created.json
    assert created.json["starts_at"] == "2026-11-20T02:00:00+00:00"
    assert created.json["cutoff_at"] == "2026-11-21T08:00:00+00:00"
    fetched = client.get(f"/api/v1/admin/deals/{created.json['id']}", headers=admin_headers)
    for key in ("starts_at", "cutoff_at", "created_at"):
        assert created.json[key] == fetched.json[key], key
