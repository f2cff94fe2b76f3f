"""Extension instances, bound to an app in create_app() with init_app()."""

from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Response
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api as _SmorestApi
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from groupbuy.db import db
from groupbuy.errors import PROBLEM_JSON, render_http_exception


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error is sent."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    code = ma.fields.String(required=True, metadata={"description": "stable machine-readable code"})
    errors = ma.fields.Dict(keys=ma.fields.String(), metadata={"description": "per-field messages (422)"})


class SchemaRulesPlugin(BasePlugin):
    """Adds a schema class's ``OPENAPI_RULES`` (oneOf, not, ...) to its component in the OpenAPI document:
    the rules its ``@validates_schema`` methods enforce and no single field can say."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        rules = getattr(schema_class, "OPENAPI_RULES", None)
        return dict(rules) if rules else None


class Api(_SmorestApi):  # type: ignore[misc]  # flask-smorest is untyped
    """flask-smorest with problem+json errors that keep their headers (Allow, Retry-After)."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return render_http_exception(error)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_JSON
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


api = Api()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["api", "db", "limiter", "migrate"]
