"""Field errors speak the caller's language: zh-CN by default, English with Accept-Language: en."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import validate

from groupbuy.field_messages import is_known, translate
from tests.factories.accounts import bearer, make_user
from tests.factories.market import T0

ROOT = Path(__file__).resolve().parents[2] / "groupbuy"
HAN = re.compile(r"[\u4e00-\u9fff]")
EN = {"Accept-Language": "en"}
VALIDATORS = {"Regexp", "Length", "Range", "OneOf", "NoneOf", "Equal", "ContainsOnly", "URL", "Email", "Predicate"}
BAD_ADDRESS = {"recipient": "x" * 41, "lat": "north", "is_default": "maybe", "user_id": 1}


@pytest.fixture
def headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user())


def _messages(errors: Any) -> list[str]:
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    return [m for item in errors for m in _messages(item)]


def test_marshmallow_messages_are_chinese_by_default(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.post("/api/v1/me/addresses", json=BAD_ADDRESS, headers=headers)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert response.json["title"] == "提交的内容有误"
    assert errors["phone"] == ["此项必填"]
    assert errors["user_id"] == ["不支持该字段"]
    assert errors["recipient"] == ["长度须在 1 到 40 之间"]
    assert errors["lat"] == ["须为数字"]
    assert errors["is_default"] == ["须为 true 或 false"]
    assert all(HAN.search(m) for m in _messages(errors)), errors


def test_the_same_messages_in_english(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.post("/api/v1/me/addresses", json=BAD_ADDRESS, headers={**headers, **EN})
    errors = response.json["errors"]
    assert response.json["title"] == "Some fields are invalid"
    assert errors["phone"] == ["Missing data for required field."]
    assert errors["user_id"] == ["Unknown field."]
    assert errors["recipient"] == ["Length must be between 1 and 40."]
    assert not any(HAN.search(m) for m in _messages(errors)), errors


@pytest.mark.parametrize(
    ("query", "zh", "en"),
    [
        ("page_size=1000", "须在 1 到 100 之间", "Must be greater than or equal to 1 and less than or equal to 100."),
        ("page=x", "须为整数", "Not a valid integer."),
    ],
)
def test_query_string_errors(client: FlaskClient, query: str, zh: str, en: str) -> None:
    assert client.get(f"/api/v1/deals?{query}").json["errors"] == {query.split("=")[0]: [zh]}
    assert client.get(f"/api/v1/deals?{query}", headers=EN).json["errors"] == {query.split("=")[0]: [en]}


def test_a_rule_of_a_service_in_both_languages(app: Flask, client: FlaskClient) -> None:
    from groupbuy import clock
    from groupbuy.accounts.enums import Role

    with app.app_context():
        admin = bearer(make_user(Role.ADMIN))
    body = {"name": "水果", "sort_order": 1}
    with clock.frozen(T0):
        client.post("/api/v1/admin/categories", json=body, headers=admin)
        product = {
            "name": "苹果",
            "category_id": 999999,
            "description": "产地直发，新鲜到家，坏果包赔。",
            "supplier": "果园",
        }
        zh = client.post("/api/v1/admin/products", json=product, headers=admin)
        en = client.post("/api/v1/admin/products", json=product, headers={**admin, **EN})
    assert zh.status_code == 422, zh.json
    assert zh.json["errors"] == {"category_id": ["分类不存在"]}
    assert en.json["errors"] == {"category_id": ["no such category"]}


def test_messages_with_values_keep_them() -> None:
    assert translate("Must be one of: wechat_native, alipay_qr, sandbox.", "zh") == (
        "须为以下之一：wechat_native, alipay_qr, sandbox"
    )
    assert translate("Must be greater than or equal to 1.", "zh") == "须不小于 1"
    assert translate("deal 42: quantity must be 1-99", "zh") == "团购 42：数量须为 1-99"
    assert translate("something new", "zh") == "something new"  # unknown: as raised (the test below forbids it)


def _builtin_messages() -> list[str]:
    """What marshmallow itself says for the field types and validators we use."""
    fields = {
        "int": ma.fields.Integer(strict=True, required=True),
        "num": ma.fields.Float(),
        "text": ma.fields.String(allow_none=False),
        "flag": ma.fields.Boolean(),
        "day": ma.fields.Date(),
        "at": ma.fields.AwareDateTime(),
        "url": ma.fields.URL(),
        "mail": ma.fields.Email(),
        "many": ma.fields.List(ma.fields.Integer()),
        "map": ma.fields.Dict(),
        "nested": ma.fields.Nested(ma.Schema.from_dict({"x": ma.fields.Integer()})),
        "short": ma.fields.String(validate=validate.Length(max=2)),
        "long": ma.fields.String(validate=validate.Length(min=5)),
        "between": ma.fields.String(validate=validate.Length(min=2, max=3)),
        "exact": ma.fields.String(validate=validate.Length(equal=3)),
        "range": ma.fields.Integer(validate=validate.Range(min=1, max=5)),
        "low": ma.fields.Integer(validate=validate.Range(min=1)),
        "high": ma.fields.Integer(validate=validate.Range(max=1)),
        "open": ma.fields.Integer(validate=validate.Range(min=1, max=5, min_inclusive=False, max_inclusive=False)),
        "choice": ma.fields.String(validate=validate.OneOf(["a", "b"])),
        "pattern": ma.fields.String(validate=validate.Regexp(r"^\d+$")),
    }
    bad = {
        "num": "x", "text": None, "flag": "maybe", "day": "x", "at": "2026-11-22T10:00:00", "url": "x",
        "mail": "x", "many": "x", "map": "x", "nested": "x", "short": "abc", "long": "a", "between": "a",
        "exact": "a", "range": 9, "low": 0, "high": 5, "open": 5, "choice": "c", "pattern": "x", "extra": 1,
    }  # fmt: skip
    try:
        ma.Schema.from_dict(fields)().load(bad)
    except ma.ValidationError as exc:
        messages = _messages(exc.messages)
    more = [ma.fields.Integer(strict=True), ma.fields.Integer()]
    for field, value in zip(more, ["1", 10**400], strict=True):
        try:
            field.deserialize(value)
        except ma.ValidationError as exc:
            messages += _messages(exc.messages)
    return messages


def _sample(node: ast.expr) -> str | None:
    """A string literal, or an f-string with its values replaced by a number."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "7" for v in node.values)  # type: ignore[misc]
    return None


def _raised_in_code() -> set[str]:
    """Every field message our code raises: ValidationError(...), error=..., errors={...: [...]},
    errors[...] = [...], default_error_messages and the password policy's problems."""
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if path.name == "config.py":  # start-up refusals for the operator, not field errors
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            candidates: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name == "ValidationError" and node.args:
                    candidates.append(node.args[0])
                if name == "append" and getattr(node.func.value, "id", "") == "problems":  # type: ignore[attr-defined]
                    candidates += node.args
                for keyword in node.keywords:
                    if keyword.arg == "error" and name in VALIDATORS:
                        candidates.append(keyword.value)
                    if keyword.arg == "errors" and isinstance(keyword.value, ast.Dict):
                        for value in keyword.value.values:
                            candidates += value.elts if isinstance(value, ast.List) else []
            elif isinstance(node, ast.Assign):
                target = node.targets[0]
                if isinstance(target, ast.Subscript) and getattr(target.value, "id", "") == "errors":
                    candidates += node.value.elts if isinstance(node.value, ast.List) else []
                if getattr(target, "id", "") == "default_error_messages" and isinstance(node.value, ast.Dict):
                    candidates += node.value.values
            found.update(text for text in map(_sample, candidates) if text)
    return found


def test_every_message_has_its_chinese_wording() -> None:
    raised = _raised_in_code()
    assert "no such SKU" in raised and "Give items, or from_cart: true (not both)." in raised  # the scan finds them
    builtin = _builtin_messages()
    assert "Missing data for required field." in builtin and "Unknown field." in builtin
    missing = sorted(m for m in raised | set(builtin) if not is_known(m))
    assert missing == [], f"add these to groupbuy/field_messages.py CATALOG: {missing}"
