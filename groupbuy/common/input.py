"""Where request input is checked before any schema, service or database sees it. Wired once by the app.

- Path ids: ``IdConverter`` replaces Flask's ``int`` converter, so every ``<int:...>`` route takes
  only 1..MAX_ID (more digits or a larger value is a 404, never a "bigint out of range").
- JSON bodies: ``loads_bounded`` refuses nesting deeper than MAX_JSON_DEPTH, integers longer than
  MAX_INT_DIGITS digits, and NaN/Infinity (400); both Flask's JSON provider and the request parser use it.
- Strings: ``InputParser.pre_load`` runs groupbuy.common.text's rule over every string of a JSON body,
  query string or form, guided by the schema (only a field declared multi-line may hold line breaks),
  and answers 422 with per-field errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Blueprint as _SmorestBlueprint
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.routing import IntegerConverter, Map, ValidationError

from groupbuy.common.fields import MAX_ID
from groupbuy.common.text import text_problem
from groupbuy.i18n import title_for

MAX_JSON_DEPTH = 32
MAX_INT_DIGITS = 30  # far beyond any BIGINT; Python itself refuses 4,300 with a ValueError


class IdConverter(IntegerConverter):
    """``<int:...>``: a positive id up to MAX_ID; anything else does not match (404)."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(self.max or MAX_ID)):
            raise ValidationError  # do not even parse a 5,000-digit "id"
        return int(super().to_python(value))


class JSONTooComplex(json.JSONDecodeError):
    """A body we refuse to build in memory; a JSONDecodeError so every JSON caller treats it as bad JSON."""

    def __init__(self, code: str, doc: str) -> None:
        super().__init__(title_for(code), doc, 0)
        self.code = code


def loads_bounded(data: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` with limits on nesting depth and number size, and no NaN/Infinity."""
    text = data.decode() if isinstance(data, bytes | bytearray) else data
    try:
        value = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant, **kwargs)
    except RecursionError:
        raise JSONTooComplex("json_too_deep", text) from None
    except _NumberTooLong:
        raise JSONTooComplex("json_number_too_large", text) from None
    except _NotJSON:
        raise JSONTooComplex("json_invalid", text) from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise JSONTooComplex("json_too_deep", text)
    return value


class _NumberTooLong(ValueError):
    pass


class _NotJSON(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberTooLong
    return int(digits)


def _no_constant(name: str) -> Any:
    raise _NotJSON(name)  # NaN, Infinity, -Infinity are not JSON


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider (``request.get_json``) with the same limits as the request parser."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_bounded(s, **kwargs)


class InputParser(FlaskParser):
    """webargs' Flask parser with bounded JSON and the text rule applied to every string input."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return ma.missing
        parsed = req.get_json(silent=True)  # parsed once per request (the idempotency fingerprint reads it too)
        if parsed is not None:
            return parsed
        return loads_bounded(req.get_data(cache=True))  # its error (invalid, too deep ...) or JSON null, as ever

    def _handle_invalid_json_error(
        self, error: json.JSONDecodeError | UnicodeDecodeError, req: Request, *args: Any, **kwargs: Any
    ) -> Any:
        abort(400, exc=error, messages={"json": [title_for(getattr(error, "code", "json_invalid"))]})

    def pre_load(self, location_data: Any, *, schema: ma.Schema, req: Request, location: str) -> Any:
        if location == "json":
            errors = _problems(location_data, None, schema)
        elif location in ("query", "querystring", "form"):
            errors = _multidict_problems(req.args if location != "form" else req.form, schema)
        else:
            errors = None
        if errors:
            raise ma.ValidationError(errors)
        return location_data


def _fields_by_key(schema: ma.Schema) -> dict[str, ma.fields.Field[Any]]:
    return {field.data_key or name: field for name, field in schema.fields.items() if not field.dump_only}


def _problems(value: Any, field: ma.fields.Field[Any] | None, schema: ma.Schema | None = None) -> Any:
    """Errors for ``value`` shaped like marshmallow's ({key: [...]}, {index: ...}), or None."""
    if isinstance(value, str):
        problem = text_problem(value, multiline=bool(getattr(field, "multiline", False)))
        return [problem] if problem else None
    if schema is None and isinstance(field, ma.fields.Nested):
        schema = field.schema
    if isinstance(value, Mapping):
        known = _fields_by_key(schema) if schema is not None else {}
        errors = {}
        for key, item in value.items():
            problem = _problems(key, None) if isinstance(key, str) else None
            problem = problem or _problems(item, known.get(key), None)
            if problem:
                errors[key] = problem
        return errors or None
    if isinstance(value, list):
        inner = field.inner if isinstance(field, ma.fields.List) else field
        items = {i: p for i, item in enumerate(value) if (p := _problems(item, inner, schema))}
        return items or None
    return None


def _multidict_problems(source: Any, schema: ma.Schema) -> dict[str, Any] | None:
    errors = {}
    for key, field in _fields_by_key(schema).items():
        found = [p[0] for v in source.getlist(key) if (p := _problems(v, field))]
        if found:
            errors[key] = found[:1]
    return errors or None


class Blueprint(_SmorestBlueprint):  # type: ignore[misc]  # flask-smorest is untyped
    """Every API blueprint: flask-smorest's, parsing with InputParser.

    A JSON body is documented as required only when its schema has a required field (and is not
    loaded partial): a body of optional fields may be left out (it loads as {}), and the document says so.
    """

    ARGUMENTS_PARSER = InputParser()

    def arguments(self, schema: Any, *, location: str = "json", required: bool | None = None, **kwargs: Any) -> Any:
        if required is None:
            instance = schema() if isinstance(schema, type) else schema
            optional = instance.partial is True or not any(field.required for field in instance.fields.values())
            required = location != "json" or not optional
        return super().arguments(schema, location=location, required=required, **kwargs)
