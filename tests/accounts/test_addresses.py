"""Address book: validation, ownership (404), exactly one default, limit, concurrency."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy.accounts.models import Address
from groupbuy.db import db
from tests.factories.accounts import bearer, make_user
from tests.rows import unchanged

ADDRESS = {
    "recipient": "李雷",
    "phone": "+86 139-1234-5678",
    "province": "北京市",
    "city": "北京市",
    "district": "海淀区",
    "detail": "中关村大街1号",
    "lat": 39.98,
    "lng": 116.31,
}


@pytest.fixture
def headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user())


def _add(client: FlaskClient, headers: dict[str, str], **overrides: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/me/addresses", json={**ADDRESS, **overrides}, headers=headers)


def _defaults(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Address.id).where(Address.is_default)))


def test_first_address_is_default_and_phone_is_masked(client: FlaskClient, headers: dict[str, str]) -> None:
    response = _add(client, headers)
    assert response.status_code == 201
    assert response.json["is_default"] is True
    assert response.json["phone"] == "139****5678"
    assert response.json["detail"] == "中关村大街1号"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "10012345678"),
        ("province", ""),
        ("city", None),
        ("lat", 91.0),
        ("lng", -181.0),
        ("recipient", "x" * 41),
    ],
)
def test_invalid_fields_are_422_per_field(
    client: FlaskClient, headers: dict[str, str], field: str, value: object
) -> None:
    response = _add(client, headers, **{field: value})
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_missing_required_fields(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.post("/api/v1/me/addresses", json={"recipient": "李雷"}, headers=headers)
    assert response.status_code == 422
    assert {"phone", "province", "city", "district", "detail"} <= set(response.json["errors"])


def test_unknown_field_is_422(client: FlaskClient, headers: dict[str, str]) -> None:
    response = _add(client, headers, user_id=1)
    assert response.status_code == 422
    assert response.json["errors"] == {"user_id": ["不支持该字段"]}
    assert response.content_type == "application/problem+json"


def test_new_default_unsets_the_old_one(client: FlaskClient, headers: dict[str, str], app: Flask) -> None:
    first = _add(client, headers).json["id"]
    second = _add(client, headers, is_default=True).json["id"]
    assert _defaults(app) == [second]
    listing = client.get("/api/v1/me/addresses", headers=headers).json["items"]
    assert [a["id"] for a in listing] == [second, first]
    client.patch(f"/api/v1/me/addresses/{first}", json={"is_default": True}, headers=headers)
    assert _defaults(app) == [first]


def test_unsetting_the_only_default_is_refused(client: FlaskClient, headers: dict[str, str], app: Flask) -> None:
    first = _add(client, headers).json["id"]
    with unchanged(app, Address):
        response = client.patch(f"/api/v1/me/addresses/{first}", json={"is_default": False}, headers=headers)
    assert response.status_code == 422
    assert _defaults(app) == [first]


def test_deleting_the_default_promotes_the_most_recent(
    client: FlaskClient, headers: dict[str, str], app: Flask
) -> None:
    a = _add(client, headers).json["id"]
    b = _add(client, headers, detail="二号").json["id"]
    c = _add(client, headers, detail="三号").json["id"]
    assert _defaults(app) == [a]
    assert client.delete(f"/api/v1/me/addresses/{a}", headers=headers).status_code == 204
    assert _defaults(app) == [c]
    assert client.delete(f"/api/v1/me/addresses/{b}", headers=headers).status_code == 204
    assert _defaults(app) == [c]


def test_patch_edits_fields(client: FlaskClient, headers: dict[str, str]) -> None:
    address = _add(client, headers).json["id"]
    response = client.patch(f"/api/v1/me/addresses/{address}", json={"detail": "新地址"}, headers=headers)
    assert response.status_code == 200
    assert response.json["detail"] == "新地址"
    assert response.json["recipient"] == ADDRESS["recipient"]


def test_another_users_address_is_404(client: FlaskClient, headers: dict[str, str], app: Flask) -> None:
    mine = _add(client, headers).json["id"]
    with app.app_context():
        other = bearer(make_user())
    assert client.patch(f"/api/v1/me/addresses/{mine}", json={"detail": "x"}, headers=other).status_code == 404
    assert client.delete(f"/api/v1/me/addresses/{mine}", headers=other).status_code == 404
    assert client.get("/api/v1/me/addresses", headers=other).json["items"] == []
    assert client.patch("/api/v1/me/addresses/999999", json={"detail": "x"}, headers=other).status_code == 404


def test_at_most_twenty_addresses(client: FlaskClient, headers: dict[str, str], app: Flask) -> None:
    for i in range(20):
        assert _add(client, headers, detail=f"{i}号").status_code == 201
    with unchanged(app, Address):
        response = _add(client, headers)
    assert response.status_code == 409
    assert response.json["code"] == "address_limit"


def test_addresses_need_a_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/me/addresses").status_code == 401


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_set_default_leaves_exactly_one(app: Flask, headers: dict[str, str], round_: int) -> None:
    client = app.test_client()
    ids = [_add(client, headers, detail=f"{i}号").json["id"] for i in range(6)]
    barrier = threading.Barrier(len(ids))
    statuses: list[int] = []

    def set_default(address_id: int) -> None:
        barrier.wait()
        response = app.test_client().patch(
            f"/api/v1/me/addresses/{address_id}", json={"is_default": True}, headers=headers
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=set_default, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(ids)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Address.is_default)) == 1
