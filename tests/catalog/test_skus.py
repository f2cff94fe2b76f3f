"""SKUs: specs unique per product, prices and stock validated, stock moved only by atomic deltas, never below 0."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from groupbuy.audit.models import AuditEntry
from groupbuy.catalog.models import Sku
from groupbuy.db import db
from tests.catalog.conftest import audit_actions, sku_stock
from tests.factories.catalog import ProductFactory
from tests.rows import unchanged


@pytest.fixture
def product_id(app: Flask) -> int:
    with app.app_context():
        return ProductFactory().id  # type: ignore[no-any-return]


def _add(client: FlaskClient, headers: dict[str, str], product_id: int, /, **body: object):  # type: ignore[no-untyped-def]
    body = {"spec": "500 g", "list_price_fen": 1290, "stock": 40, **body}
    return client.post(f"/api/v1/admin/products/{product_id}/skus", json=body, headers=headers)


def _patch(client: FlaskClient, headers: dict[str, str], sku_id: int, **body: object):  # type: ignore[no-untyped-def]
    return client.patch(f"/api/v1/admin/skus/{sku_id}", json=body, headers=headers)


def test_add_a_sku_and_see_it_on_the_product(
    client: FlaskClient, admin_headers: dict[str, str], product_id: int, app: Flask
) -> None:
    response = _add(client, admin_headers, product_id)
    assert response.status_code == 201
    assert (response.json["spec"], response.json["list_price_fen"], response.json["stock"]) == ("500 g", 1290, 40)
    product = client.get(f"/api/v1/admin/products/{product_id}", headers=admin_headers).json
    assert [s["id"] for s in product["skus"]] == [response.json["id"]]
    assert audit_actions(app, "sku") == ["sku.create"]


def test_spec_is_unique_per_product(
    client: FlaskClient, admin_headers: dict[str, str], product_id: int, app: Flask
) -> None:
    assert _add(client, admin_headers, product_id).status_code == 201
    with unchanged(app, Sku, AuditEntry):
        response = _add(client, admin_headers, product_id, spec=" 500 g ")
    assert response.status_code == 409
    assert response.json["code"] == "duplicate_sku"
    other = _add(client, admin_headers, product_id, spec="1 kg").json["id"]
    with unchanged(app, Sku, AuditEntry):
        assert _patch(client, admin_headers, other, spec="500 g").json["code"] == "duplicate_sku"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"list_price_fen": 0}, "list_price_fen"),
        ({"list_price_fen": 19.9}, "list_price_fen"),
        ({"list_price_fen": "1990"}, "list_price_fen"),
        ({"spec": ""}, "spec"),
        ({"product_id": 1}, "product_id"),
    ],
)
def test_sku_fields_are_validated(
    client: FlaskClient, admin_headers: dict[str, str], product_id: int, body: dict[str, object], field: str
) -> None:
    response = _add(client, admin_headers, product_id, **body)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_unknown_product_or_sku_is_404(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    assert _add(client, admin_headers, 999999).status_code == 404
    assert _patch(client, admin_headers, 999999, stock_delta=1).status_code == 404


def test_stock_moves_by_delta_and_never_below_zero(
    client: FlaskClient, admin_headers: dict[str, str], product_id: int, app: Flask
) -> None:
    sku = _add(client, admin_headers, product_id, stock=5).json["id"]
    assert _patch(client, admin_headers, sku, stock_delta=10).json["stock"] == 15
    assert _patch(client, admin_headers, sku, stock_delta=-15).json["stock"] == 0
    refused = _patch(client, admin_headers, sku, stock_delta=-1, list_price_fen=999)
    assert refused.status_code == 409
    assert refused.json["code"] == "insufficient_stock"
    assert sku_stock(app, sku) == 0
    price = client.get(f"/api/v1/admin/products/{product_id}", headers=admin_headers).json["skus"][0]["list_price_fen"]
    assert price == 1290  # the refused request changed nothing at all
    assert audit_actions(app, "sku") == ["sku.create", "sku.update", "sku.update"]


def test_absolute_stock_cannot_be_set_after_creation(
    client: FlaskClient, admin_headers: dict[str, str], product_id: int
) -> None:
    sku = _add(client, admin_headers, product_id).json["id"]
    response = _patch(client, admin_headers, sku, stock=1000)
    assert response.status_code == 422
    assert "stock" in response.json["errors"]


def test_edit_spec_and_price(client: FlaskClient, admin_headers: dict[str, str], product_id: int) -> None:
    sku = _add(client, admin_headers, product_id).json["id"]
    response = _patch(client, admin_headers, sku, spec="1 kg", list_price_fen=2390)
    assert (response.json["spec"], response.json["list_price_fen"], response.json["stock"]) == ("1 kg", 2390, 40)


def test_the_database_refuses_negative_stock(ctx: None, product_id: int) -> None:
    with pytest.raises(IntegrityError, match="ck_skus_stock_nonnegative"):
        db.session.execute(
            text(
                "INSERT INTO skus (product_id, spec, list_price_fen, stock, created_at, updated_at) "
                "VALUES (:p, 'x', 100, -1, '2026-01-01', '2026-01-01')"
            ),
            {"p": product_id},
        )
    db.session.rollback()


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_removals_never_take_stock_below_zero(
    app: Flask, admin_headers: dict[str, str], product_id: int, round_: int
) -> None:
    sku = _add(app.test_client(), admin_headers, product_id, stock=10).json["id"]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def remove_one() -> None:
        barrier.wait()
        statuses.append(_patch(app.test_client(), admin_headers, sku, stock_delta=-1).status_code)

    threads = [threading.Thread(target=remove_one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 10 + [409] * 10
    assert sku_stock(app, sku) == 0
