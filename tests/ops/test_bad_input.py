"""Bad input never reaches the database: path ids, JSON shape, control characters, dates (issue 18 items 3, 11).

Each of these answered 500 with a traceback before (PostgreSQL "bigint out of range", NUL bytes,
lone surrogates, RecursionError, Python's 4,300-digit limit, year-9999 date arithmetic).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import flask_smorest
import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.common.input import InputParser
from tests.factories.accounts import bearer, make_user
from tests.factories.catalog import SkuFactory
from tests.factories.leaders import application_payload

HUGE_ID = 2**63
ZH_CONTROL = "不能包含控制字符、方向控制符或无效字符"
EN_CONTROL = "Must not contain control characters, bidirectional controls or invalid characters."


@pytest.fixture
def shopper(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user())


@pytest.fixture
def admin(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user(Role.ADMIN))


# --- path ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/deals/{}", "/api/v1/groups/{}", "/api/v1/leaders/{}"])
@pytest.mark.parametrize("value", [str(HUGE_ID), str(2**53 + 1), "9" * 5000, "0"])
def test_public_routes_answer_404_for_an_id_out_of_range(client: FlaskClient, path: str, value: str) -> None:
    response = client.get(path.format(value))
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_every_int_route_refuses_an_id_of_2_to_the_63(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<[^>]+>", "png", re.sub(r"<int:\w+>", str(HUGE_ID), rule.rule))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers=admin, json={})
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 25


def test_the_openapi_document_bounds_path_ids(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    (param,) = spec["paths"]["/api/v1/deals/{deal_id}"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**53}


# --- JSON bodies ----------------------------------------------------------------------------------


def _post_raw(client: FlaskClient, path: str, body: str) -> Any:
    return client.post(path, data=body, content_type="application/json")


def test_deeply_nested_json_is_400_not_a_recursion_error(client: FlaskClient) -> None:
    response = _post_raw(client, "/api/v1/auth/login", "[" * 2000 + "]" * 2000)
    assert response.status_code == 400
    assert response.json["errors"] == {"json": ["JSON 嵌套层数过多"]}


def test_nesting_beyond_32_levels_is_400(client: FlaskClient) -> None:
    body = '{"login": ' + "[" * 40 + "]" * 40 + ', "password": "x"}'
    assert _post_raw(client, "/api/v1/auth/login", body).status_code == 400


def test_a_5000_digit_integer_is_400(client: FlaskClient, shopper: dict[str, str]) -> None:
    body = '{"deal_id": ' + "9" * 5000 + ', "quantity": 1}'
    response = client.post("/api/v1/cart/items", data=body, content_type="application/json", headers=shopper)
    assert response.status_code == 400
    assert response.json["errors"] == {"json": ["JSON 中的数字过长"]}


def test_nan_is_not_json(client: FlaskClient, shopper: dict[str, str]) -> None:
    body = '{"recipient": "李雷", "lat": NaN}'
    response = client.post("/api/v1/me/addresses", data=body, content_type="application/json", headers=shopper)
    assert response.status_code == 400


def test_request_get_json_has_the_same_limits(app: Flask) -> None:
    with app.test_request_context("/", method="POST", data="[" * 2000 + "]" * 2000, content_type="application/json"):
        from flask import request

        assert request.get_json(silent=True) is None


# --- strings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/auth/login", {"login": "13800000001\x00", "password": "Secret123"}, "login"),
        ("/api/v1/auth/login", {"login": "13800000001", "password": "Secret\x00123"}, "password"),
        ("/api/v1/auth/wechat-login", {"code": "dev-\x00alice"}, "code"),
        (
            "/api/v1/auth/verification-codes",
            {"channel": "sms", "target": "1380000\x000001", "purpose": "login"},
            "target",
        ),
        ("/api/v1/auth/verification-codes", {"channel": "email", "target": "a\x00@b.cn", "purpose": "login"}, "target"),
    ],
)
def test_a_nul_byte_is_422_before_anything_else(
    client: FlaskClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert response.json["errors"] == {field: [ZH_CONTROL]}


def test_a_nul_byte_in_the_query_string_is_422(client: FlaskClient) -> None:
    response = client.get("/api/v1/deals?q=%E8%8B%B9%00%E6%9E%9C", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.json["errors"] == {"q": [EN_CONTROL]}


def test_a_lone_surrogate_is_refused(client: FlaskClient) -> None:
    response = _post_raw(client, "/api/v1/auth/login", '{"login": "\\ud800138", "password": "Secret123"}')
    assert response.status_code == 422
    assert response.json["errors"] == {"login": [ZH_CONTROL]}


def test_a_lone_surrogate_inside_a_list_is_refused(client: FlaskClient, shopper: dict[str, str]) -> None:
    body = '{"display_name": "x", "licences": [{"kind": "business", "url": "https://a.cn/\\udfff"}]}'
    response = client.post("/api/v1/leader-applications", data=body, content_type="application/json", headers=shopper)
    assert response.status_code == 422
    assert response.json["errors"]["licences"] == {"0": {"url": [ZH_CONTROL]}}


ADDRESS = {"recipient": "李雷", "phone": "13912345678", "province": "北京市", "city": "北京市", "district": "海淀区"}
BAD_NAMES = {
    "ansi escape": "李雷\x1b[31m",
    "rtl override": "李雷\u202egnp.exe",
    "isolate": "\u2066李雷\u2069",
    "crlf": "李雷\r\nX-Injected: 1",
    "tab": "李\t雷",
    "del": "李雷\x7f",
    "c1 control": "李雷\x85",
    "line separator": "李雷\u2028",
}


@pytest.mark.parametrize("value", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
@pytest.mark.parametrize("field", ["recipient", "detail"])
def test_address_fields_refuse_control_and_bidi_characters(
    client: FlaskClient, shopper: dict[str, str], field: str, value: str
) -> None:
    body = {**ADDRESS, "detail": "中关村大街1号", field: value}
    response = client.post("/api/v1/me/addresses", json=body, headers=shopper)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


@pytest.mark.parametrize("value", [" ", "   ", "\u3000", " \u00a0 "])
def test_whitespace_only_names_are_refused_in_both_languages(
    client: FlaskClient, shopper: dict[str, str], value: str
) -> None:
    body = {**ADDRESS, "detail": "中关村大街1号", "recipient": value}
    zh = client.post("/api/v1/me/addresses", json=body, headers=shopper)
    en = client.post("/api/v1/me/addresses", json=body, headers={**shopper, "Accept-Language": "en"})
    assert (zh.status_code, en.status_code) == (422, 422)
    assert zh.json["errors"] == {"recipient": ["不能只包含空白"]}
    assert en.json["errors"] == {"recipient": ["Must not be blank."]}


def test_a_nickname_with_a_line_break_is_refused_in_english(client: FlaskClient, shopper: dict[str, str]) -> None:
    response = client.patch(
        "/api/v1/me", json={"nickname": "小王\n管理员"}, headers={**shopper, "Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"nickname": ["Must not contain line breaks or tabs."]}


@pytest.mark.parametrize("field", ["display_name", "real_name", "pickup_point_name", "address", "opening_hours"])
def test_leader_application_text_refuses_bidi_and_blank(
    client: FlaskClient, shopper: dict[str, str], field: str
) -> None:
    for value in ("王\u202e店", "   "):
        response = client.post(
            "/api/v1/leader-applications", json=application_payload(**{field: value}), headers=shopper
        )
        assert response.status_code == 422, value
        assert list(response.json["errors"]) == [field]


def test_descriptions_may_hold_line_breaks_but_not_controls(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    from tests.factories.catalog import CategoryFactory

    with app.app_context():
        category_id = CategoryFactory(name="水果").id
    body = {"name": "苹果", "category_id": category_id, "supplier": "果园", "images": []}
    good = client.post(
        "/api/v1/admin/products", json={**body, "description": "脆甜多汁，\r\n\t产地直发的好苹果"}, headers=admin
    )
    assert good.status_code == 201, good.json
    bad = client.post(
        "/api/v1/admin/products", json={**body, "name": "梨", "description": "脆甜\x00多汁的好梨子呀"}, headers=admin
    )
    assert bad.status_code == 422
    assert bad.json["errors"] == {"description": [ZH_CONTROL]}


def test_clean_text_still_goes_through(client: FlaskClient, shopper: dict[str, str]) -> None:
    body = {**ADDRESS, "recipient": "O'Brien 李-雷 👩‍👩‍👧", "detail": "中关村大街1号 3单元 (东门)"}
    assert client.post("/api/v1/me/addresses", json=body, headers=shopper).status_code == 201


# --- dates ----------------------------------------------------------------------------------------


T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "overrides",
    [
        {"cutoff_at": "9999-12-31T23:59:59+00:00"},
        {"cutoff_at": "9999-12-31T23:59:59-05:00"},
        {"starts_at": "0001-01-01T00:00:00+05:00"},
        {"pickup_date": "9999-12-31"},
        {"pickup_date": "0001-01-01"},
    ],
)
def test_deal_dates_outside_2000_to_2100_are_422(
    app: Flask, client: FlaskClient, admin: dict[str, str], overrides: dict[str, str]
) -> None:
    with app.app_context():
        sku_id = SkuFactory(stock=100).id
    body = {
        "sku_id": sku_id,
        "group_price_fen": 1990,
        "starts_at": T0.isoformat(),
        "cutoff_at": (T0 + timedelta(days=1)).isoformat(),
        "pickup_date": "2026-11-22",
        "stock_allocated": 10,
        **overrides,
    }
    with clock.frozen(T0):
        response = client.post("/api/v1/admin/deals", json=body, headers={**admin, "Accept-Language": "en"})
    assert response.status_code == 422
    (field,) = overrides
    assert response.json["errors"] == {field: ["Dates must lie between 2000 and 2100."]}


def test_every_api_blueprint_parses_with_the_input_parser(app: Flask) -> None:
    smorest = [bp for bp in app.blueprints.values() if isinstance(bp, flask_smorest.Blueprint)]
    assert len(smorest) >= 9
    assert [bp.name for bp in smorest if not isinstance(bp.ARGUMENTS_PARSER, InputParser)] == []


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
def test_a_body_boolean_must_be_true_or_false(client: FlaskClient, shopper: dict[str, str], value: object) -> None:
    """schemathesis ST201: `is_default: 0` was accepted although the document says boolean."""
    body = {**ADDRESS, "detail": "中关村大街1号", "is_default": value}
    response = client.post("/api/v1/me/addresses", json=body, headers=shopper)
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["is_default"]
