"""The OpenAPI document is valid OpenAPI 3 and carries the rules the code enforces (issue 18 item 9)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from openapi_spec_validator import OpenAPIV30SpecValidator

from groupbuy.common.fields import PHONE_PATTERN, Phone
from groupbuy.common.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/api/openapi.json").json  # type: ignore[no-any-return]


def _patterns(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield where, value
            else:
                yield from _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _patterns(value, f"{where}/{i}")


def test_the_document_is_valid_openapi_3(spec: dict[str, Any]) -> None:
    errors = [str(e)[:300] for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert errors == []


def test_every_pattern_is_ecma_262(spec: dict[str, Any]) -> None:
    """OpenAPI patterns are ECMA 262: `(?s)`, `\\Z` and other Python-only syntax stop fuzzers and clients."""
    patterns = list(_patterns(spec))
    assert len(patterns) > 20
    regex = {"type": "string", "format": "regex"}
    invalid = [(where, p) for where, p in patterns if not jsonschema_rs.is_valid(regex, p, validate_formats=True)]
    assert invalid == []
    assert jsonschema_rs.is_valid(regex, r"(?s).*\S", validate_formats=True) is False  # the check does check


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (
            SINGLE_LINE_PATTERN,
            ["李雷", " a ", "O'Brien 👩‍👩‍👧"],
            ["", " ", "\u3000", "a\nb", "a\tb", "a\x00", "a\u202e", "a\x1b["],
        ),
        (MULTI_LINE_PATTERN, ["第一行\n第二行", "\ta"], ["", "\n", "a\x00", "a\u2066"]),
        (
            PHONE_PATTERN,
            ["13812345678", "+86 138-1234-5678", "138 1234 5678"],
            ["12812345678", "1381234567", "+1 1381234"],
        ),
    ],
)
def test_documented_patterns_say_what_the_code_does(pattern: str, good: list[str], bad: list[str]) -> None:
    compiled = re.compile(pattern)
    assert [g for g in good if not compiled.fullmatch(g)] == []
    assert [b for b in bad if compiled.fullmatch(b)] == []
    if pattern == PHONE_PATTERN:
        field = Phone()
        assert [field.deserialize(g) for g in good] == ["13812345678"] * len(good)


def test_rules_enforced_by_code_are_in_the_document(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    register = schemas["Register"]
    assert register["properties"]["phone"]["pattern"] == PHONE_PATTERN
    assert register["properties"]["password"] | {"description": ""} == {
        "type": "string",
        "writeOnly": True,
        "minLength": 6,
        "maxLength": 20,
        "pattern": r"^\S+$",
        "description": "",
    }
    assert register["oneOf"] == [{"required": ["phone"]}, {"required": ["email"]}]
    assert schemas["Login"]["oneOf"] == [{"required": ["password"]}, {"required": ["code"]}]
    assert [rule["required"] for rule in schemas["OrderCreate"]["oneOf"]] == [["items"], ["from_cart"]]
    assert {r["properties"]["channel"]["enum"][0] for r in schemas["VerificationCodeRequest"]["oneOf"]} == {
        "sms",
        "email",
    }
    assert schemas["AddressCreate"]["properties"]["recipient"]["pattern"] == SINGLE_LINE_PATTERN
    assert schemas["ProductCreate"]["properties"]["description"]["pattern"] == f"^$|{MULTI_LINE_PATTERN}"
    cutoff = schemas["DealCreate"]["properties"]["cutoff_at"]
    assert cutoff["format"] == "date-time" and "between 2000 and 2100" in cutoff["description"]


def test_a_unicode_digit_phone_is_refused() -> None:
    with pytest.raises(Exception, match="mainland"):
        Phone().deserialize("١٣٨١٢٣٤٥٦٧٨")


def test_a_body_of_optional_fields_is_documented_as_optional(spec: dict[str, Any]) -> None:
    """schemathesis ST201: the document said a body was required where leaving it out is accepted."""
    paths = spec["paths"]
    assert paths["/api/v1/me"]["patch"]["requestBody"]["required"] is False
    assert paths["/api/v1/me/addresses/{address_id}"]["patch"]["requestBody"]["required"] is False
    assert (
        paths["/api/v1/admin/leader-applications/{application_id}/approve"]["post"]["requestBody"]["required"] is False
    )
    assert paths["/api/v1/me/addresses"]["post"]["requestBody"]["required"] is True
    assert paths["/api/v1/auth/login"]["post"]["requestBody"]["required"] is True


def test_a_phone_longer_than_documented_is_refused_even_if_its_digits_are_fine() -> None:
    """schemathesis ST201: maxLength was checked on the normalised digits, not on what was sent."""
    with pytest.raises(Exception, match="mainland"):
        Phone().deserialize("13000000000" + "-" * 20)
    assert Phone().deserialize("130-0000-0000") == "13000000000"


def test_plain_credential_strings_document_the_text_rule(spec: dict[str, Any]) -> None:
    """schemathesis positive_data_acceptance: documented-valid `login`/`target`/`code` values with control
    characters or a trailing newline were refused by the text rule the document did not state."""
    schemas = spec["components"]["schemas"]
    assert schemas["Login"]["properties"]["login"]["pattern"] == SINGLE_LINE_PATTERN
    assert schemas["WeChatLogin"]["properties"]["code"]["pattern"] == SINGLE_LINE_PATTERN
    assert schemas["Unlock"]["properties"]["target"]["pattern"] == SINGLE_LINE_PATTERN
    (sms, _) = schemas["VerificationCodeRequest"]["oneOf"]
    assert not re.fullmatch(sms["properties"]["target"]["pattern"], "15376360177\n")
