"""/healthz, /readyz and the locally served Swagger UI files (no CDN)."""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, jsonify, send_from_directory

from groupbuy.errors import problem
from groupbuy.ops.service import readiness

bp = Blueprint("ops", __name__)
SWAGGER_UI_URL = "/api/swagger-ui/"


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """The database is reachable and migrated to head; otherwise 503."""
    problems = readiness()
    if problems:
        return problem(
            503,
            "service_unavailable",
            detail="; ".join(f"{k}: {v}" for k, v in problems.items()),
            headers={"Retry-After": "5"},
        )
    return jsonify(status="ready")


@bp.get(f"{SWAGGER_UI_URL}<path:filename>")
def swagger_ui_asset(filename: str) -> Response:
    """Swagger UI's JS/CSS from the flask-swagger-ui wheel: the docs work offline."""
    dist = resources.files("flask_swagger_ui") / "dist"
    return send_from_directory(str(dist), filename, max_age=86400)
