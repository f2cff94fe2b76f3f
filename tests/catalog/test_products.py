"""Products: admin create/read/list/edit, server-owned status (approve, reject, deactivate, reactivate), audit."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy.audit.models import AuditEntry
from groupbuy.catalog.models import Product
from groupbuy.db import db
from tests.catalog.conftest import audit_actions, product_body


def _post(client: FlaskClient, headers: dict[str, str], category_id: int, **overrides: object) -> dict[str, Any]:
    response = client.post("/api/v1/admin/products", json=product_body(category_id, **overrides), headers=headers)
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def _patch(client: FlaskClient, headers: dict[str, str], product_id: int, **body: object):  # type: ignore[no-untyped-def]
    return client.patch(f"/api/v1/admin/products/{product_id}", json=body, headers=headers)


def test_create_and_read_a_product(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, app: Flask, admin: Any
) -> None:
    body = _post(
        client,
        admin_headers,
        category_id,
        name="  红富士  ",
        images=[f"https://img.example.com/{i}.jpg" for i in range(9)],
    )
    assert body["name"] == "红富士"
    assert body["category"] == {"id": category_id, "name": "水果", "sort_order": 0, "is_fresh": False}
    assert body["supplier"] == "烟台果业合作社"
    assert len(body["images"]) == 9
    assert body["skus"] == []
    fetched = client.get(f"/api/v1/admin/products/{body['id']}", headers=admin_headers)
    assert fetched.status_code == 200
    assert fetched.json == body
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "product"))
        assert (entry.action, entry.actor_id, entry.object_id) == ("product.create", admin.id, body["id"])
        assert entry.after["status"] == "active"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"supplier": " "}, "supplier"),
        ({"images": [f"https://img.example.com/{i}.jpg" for i in range(10)]}, "images"),
        ({"images": ["ftp://img.example.com/a.jpg"]}, "images"),
        ({"images": ["not a url"]}, "images"),
        ({"category_id": "1"}, "category_id"),
        ({"category_id": 999999}, "category_id"),
        ({"status": "active"}, "status"),
        ({"moderation_reason": None}, "moderation_reason"),
        ({"listing_key": "x"}, "listing_key"),
    ],
)
def test_product_fields_are_validated_and_server_fields_refused(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, overrides: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/admin/products", json=product_body(category_id, **overrides), headers=admin_headers)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_missing_fields(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post("/api/v1/admin/products", json={"name": "苹果"}, headers=admin_headers)
    assert response.status_code == 422
    assert {"description", "category_id", "supplier"} <= set(response.json["errors"])


def test_list_filters_and_pages(client: FlaskClient, admin_headers: dict[str, str], category_id: int) -> None:
    first = _post(client, admin_headers, category_id, name="苹果")["id"]
    held = _post(client, admin_headers, category_id, name="梨", description="好")["id"]
    newest = _post(client, admin_headers, category_id, name="青苹果")["id"]
    page = client.get("/api/v1/admin/products?page_size=2", headers=admin_headers).json
    assert (page["total"], page["page"], page["page_size"]) == (3, 1, 2)
    assert [p["id"] for p in page["items"]] == [newest, held]
    assert [p["id"] for p in client.get("/api/v1/admin/products?status=held", headers=admin_headers).json["items"]] == [
        held
    ]
    by_name = client.get("/api/v1/admin/products?q=苹果", headers=admin_headers).json["items"]
    assert [p["id"] for p in by_name] == [newest, first]
    assert client.get("/api/v1/admin/products?category=999", headers=admin_headers).json["total"] == 0
    assert client.get("/api/v1/admin/products?page_size=101", headers=admin_headers).status_code == 422


def test_unknown_product_is_404(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    assert client.get("/api/v1/admin/products/999999", headers=admin_headers).status_code == 404
    assert _patch(client, admin_headers, 999999, name="x").status_code == 404
    assert client.post("/api/v1/admin/products/999999/approve", headers=admin_headers).status_code == 404


def test_approve_releases_a_held_listing_once(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, app: Flask
) -> None:
    held = _post(client, admin_headers, category_id, description="好吃")
    assert held["status"] == "held"
    approved = client.post(f"/api/v1/admin/products/{held['id']}/approve", headers=admin_headers)
    assert approved.status_code == 200
    assert (approved.json["status"], approved.json["moderation_reason"]) == ("active", None)
    again = client.post(f"/api/v1/admin/products/{held['id']}/approve", headers=admin_headers)
    assert again.status_code == 409
    assert again.json["code"] == "product_not_held"
    assert audit_actions(app, "product") == ["product.create", "product.approve"]


def test_reject_turns_a_held_listing_down_with_its_reason(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, app: Flask
) -> None:
    held = _post(client, admin_headers, category_id, name="根治失眠枕")["id"]
    assert client.post(f"/api/v1/admin/products/{held}/reject", json={}, headers=admin_headers).status_code == 422
    rejected = client.post(f"/api/v1/admin/products/{held}/reject", json={"reason": "虚假宣传"}, headers=admin_headers)
    assert rejected.status_code == 200
    assert (rejected.json["status"], rejected.json["moderation_reason"]) == ("inactive", "虚假宣传")
    assert (
        client.post(f"/api/v1/admin/products/{held}/reject", json={"reason": "x"}, headers=admin_headers).status_code
        == 409
    )
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.reject"))
        assert (entry.reason, entry.before["status"], entry.after["status"]) == ("虚假宣传", "held", "inactive")


def test_active_listing_cannot_be_approved_or_rejected(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    product = _post(client, admin_headers, category_id)["id"]
    assert client.post(f"/api/v1/admin/products/{product}/approve", headers=admin_headers).status_code == 409
    assert (
        client.post(f"/api/v1/admin/products/{product}/reject", json={"reason": "x"}, headers=admin_headers).status_code
        == 409
    )


def test_edit_content(client: FlaskClient, admin_headers: dict[str, str], category_id: int, app: Flask) -> None:
    product = _post(client, admin_headers, category_id)["id"]
    response = _patch(client, admin_headers, product, description="新产季，更脆更甜，现摘现发。", images=[])
    assert response.status_code == 200
    assert (response.json["description"], response.json["images"], response.json["status"]) == (
        "新产季，更脆更甜，现摘现发。",
        [],
        "active",
    )
    assert _patch(client, admin_headers, product, category_id=999999).json["errors"] == {"category_id": ["分类不存在"]}
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.update"))
        assert entry.before["images"] == ["https://img.example.com/apple.jpg"]
        assert entry.after["images"] == []


def test_editing_a_banned_word_into_a_live_listing_holds_it(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    product = _post(client, admin_headers, category_id)["id"]
    response = _patch(client, admin_headers, product, description="全网最低价，脆甜多汁，坏果包赔。")
    assert (response.json["status"], response.json["moderation_reason"]) == ("held", "banned word: 最低价")
    cleaned = _patch(client, admin_headers, product, description="脆甜多汁，坏果包赔，产地直发。")
    assert cleaned.json["status"] == "held"  # editing never releases a hold: approving does
    assert client.post(f"/api/v1/admin/products/{product}/approve", headers=admin_headers).json["status"] == "active"


def test_deactivate_and_reactivate(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, app: Flask
) -> None:
    product = _post(client, admin_headers, category_id)["id"]
    assert _patch(client, admin_headers, product, active=False).json["status"] == "inactive"
    assert _patch(client, admin_headers, product, active=False).json["status"] == "inactive"
    assert _patch(client, admin_headers, product, active=True).json["status"] == "active"
    assert _patch(client, admin_headers, product, active=True).json["status"] == "active"
    with app.app_context():
        assert db.session.get(Product, product).status == "active"
    # the two no-op requests changed nothing and left no audit entry
    assert audit_actions(app, "product") == ["product.create", "product.update", "product.update"]


def test_reactivating_a_listing_that_fails_moderation_holds_it(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    product = _post(client, admin_headers, category_id)["id"]
    _patch(client, admin_headers, product, active=False)
    _patch(client, admin_headers, product, description="太短")  # inactive listings are not held on edit
    response = _patch(client, admin_headers, product, active=True)
    assert (response.json["status"], response.json["moderation_reason"]) == (
        "held",
        "description too short: 2 < 10 characters",
    )


def test_a_held_listing_is_not_reactivated_by_patch(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int
) -> None:
    held = _post(client, admin_headers, category_id, description="太短")["id"]
    response = _patch(client, admin_headers, held, active=True)
    assert response.status_code == 409
    assert response.json["code"] == "product_held"
    assert _patch(client, admin_headers, held, active=False).json["status"] == "inactive"


@pytest.mark.parametrize("field", ["status", "moderation_reason", "created_at", "listing_key"])
def test_patch_refuses_server_owned_fields(
    client: FlaskClient, admin_headers: dict[str, str], category_id: int, field: str
) -> None:
    product = _post(client, admin_headers, category_id)["id"]
    response = _patch(client, admin_headers, product, **{field: "active"})
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_product_routes_need_the_admin_role(
    client: FlaskClient, shopper_headers: dict[str, str], category_id: int
) -> None:
    assert client.post("/api/v1/admin/products", json=product_body(category_id)).status_code == 401
    for method, path in [
        ("post", "/api/v1/admin/products"),
        ("get", "/api/v1/admin/products"),
        ("get", "/api/v1/admin/products/1"),
        ("patch", "/api/v1/admin/products/1"),
        ("post", "/api/v1/admin/products/1/approve"),
        ("post", "/api/v1/admin/products/1/reject"),
        ("post", "/api/v1/admin/products/1/skus"),
        ("patch", "/api/v1/admin/skus/1"),
    ]:
        assert getattr(client, method)(path, json={}, headers=shopper_headers).status_code == 403, path
