"""Categories: admin CRUD with unique names, refusal to delete one in use, the public list, audit."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy.audit.models import AuditEntry
from groupbuy.catalog.models import Category
from tests.catalog.conftest import audit_actions, product_body
from tests.rows import unchanged


def _create(client: FlaskClient, headers: dict[str, str], name: str, sort_order: int = 0):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/admin/categories", json={"name": name, "sort_order": sort_order}, headers=headers)


def test_admin_creates_lists_and_the_public_sees_them_in_order(
    client: FlaskClient, admin_headers: dict[str, str], app: Flask
) -> None:
    assert _create(client, admin_headers, "蔬菜", 2).status_code == 201
    created = _create(client, admin_headers, " 水果 ", 1)
    assert created.status_code == 201
    assert created.json["name"] == "水果"
    public = client.get("/api/v1/categories")
    assert public.status_code == 200
    assert [c["name"] for c in public.json["items"]] == ["水果", "蔬菜"]
    admin_list = client.get("/api/v1/admin/categories", headers=admin_headers).json["items"]
    assert [c["sort_order"] for c in admin_list] == [1, 2]
    assert audit_actions(app, "category") == ["category.create", "category.create"]


def test_duplicate_name_is_409(client: FlaskClient, admin_headers: dict[str, str], app: Flask) -> None:
    _create(client, admin_headers, "水果")
    with unchanged(app, Category, AuditEntry):
        response = _create(client, admin_headers, "水果")
    assert response.status_code == 409
    assert response.json["code"] == "category_name_taken"


def test_rename_and_reorder(client: FlaskClient, admin_headers: dict[str, str], app: Flask) -> None:
    fruit = _create(client, admin_headers, "水果").json["id"]
    _create(client, admin_headers, "蔬菜")
    response = client.patch(
        f"/api/v1/admin/categories/{fruit}", json={"name": "时令水果", "sort_order": 9}, headers=admin_headers
    )
    assert response.status_code == 200
    assert (response.json["name"], response.json["sort_order"]) == ("时令水果", 9)
    with unchanged(app, Category, AuditEntry):
        taken = client.patch(f"/api/v1/admin/categories/{fruit}", json={"name": "蔬菜"}, headers=admin_headers)
    assert taken.status_code == 409
    assert taken.json["code"] == "category_name_taken"
    same = client.patch(f"/api/v1/admin/categories/{fruit}", json={"name": "时令水果"}, headers=admin_headers)
    assert same.status_code == 200
    assert client.patch("/api/v1/admin/categories/999999", json={"name": "x"}, headers=admin_headers).status_code == 404
    assert "category.update" in audit_actions(app, "category")


def test_delete_empty_category_but_not_one_in_use(
    client: FlaskClient, admin_headers: dict[str, str], app: Flask
) -> None:
    empty = _create(client, admin_headers, "空").json["id"]
    used = _create(client, admin_headers, "水果").json["id"]
    assert client.post("/api/v1/admin/products", json=product_body(used), headers=admin_headers).status_code == 201
    assert client.delete(f"/api/v1/admin/categories/{empty}", headers=admin_headers).status_code == 204
    response = client.delete(f"/api/v1/admin/categories/{used}", headers=admin_headers)
    assert response.status_code == 409
    assert response.json["code"] == "category_in_use"
    assert [c["id"] for c in client.get("/api/v1/categories").json["items"]] == [used]
    assert client.delete(f"/api/v1/admin/categories/{empty}", headers=admin_headers).status_code == 404
    assert audit_actions(app, "category")[-1] == "category.delete"


def test_category_fields_are_validated(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"name": "水果", "sort_order": 1.5}, "sort_order"),
        ({"name": "水果", "id": 3}, "id"),
    ]:
        response = client.post("/api/v1/admin/categories", json=body, headers=admin_headers)
        assert response.status_code == 422, body
        assert field in response.json["errors"]


def test_admin_routes_need_the_admin_role(client: FlaskClient, shopper_headers: dict[str, str]) -> None:
    assert client.post("/api/v1/admin/categories", json={"name": "水果"}).status_code == 401
    assert client.post("/api/v1/admin/categories", json={"name": "水果"}, headers=shopper_headers).status_code == 403
    assert client.get("/api/v1/admin/categories", headers=shopper_headers).status_code == 403
    assert client.delete("/api/v1/admin/categories/1", headers=shopper_headers).status_code == 403


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_creation_of_one_name_gives_one_category(
    app: Flask, admin_headers: dict[str, str], round_: int
) -> None:
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def create() -> None:
        barrier.wait()
        statuses.append(_create(app.test_client(), admin_headers, "水果").status_code)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 5
    assert len(app.test_client().get("/api/v1/categories").json["items"]) == 1
