"""groupbuy: the backend for community group buying."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request
from flask.sessions import SessionInterface, SessionMixin
from prometheus_client import CollectorRegistry
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from werkzeug.middleware.proxy_fix import ProxyFix

from groupbuy.common.http_cache import install_http_cache
from groupbuy.common.input import BoundedJSONProvider, IdConverter
from groupbuy.common.read_cache import init_read_cache
from groupbuy.config import load_config
from groupbuy.db import configure_sqlite, db, end_reads_with_commit, release_held
from groupbuy.errors import register_error_handlers
from groupbuy.extensions import SchemaRulesPlugin, api, limiter, migrate
from groupbuy.logging import configure_logging
from groupbuy.ops.routes import SWAGGER_UI_URL
from groupbuy.ops.service import MIGRATIONS_DIR
from groupbuy.registry import EXTENSION_KEY as REGISTRY_KEY
from groupbuy.security_headers import install_security_headers
from groupbuy.settings import Settings

API_TITLE = "groupbuy"
API_VERSION = "v1"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Configure and wire the application; no database or network I/O happens here."""
    app = Flask(__name__, instance_relative_config=True)
    settings = load_config(app, config)
    _install_implementations(app, settings)
    app.session_interface = StatelessSessions()
    app.json = BoundedJSONProvider(app)  # JSON bodies: bounded depth and number size (groupbuy/common/input.py)
    app.json.ensure_ascii = False  # send Chinese as UTF-8, not \\uXXXX
    app.url_map.converters["int"] = IdConverter  # every <int:...> path id: 1..2**53, else 404
    app.config.update(_openapi_settings())
    if settings.proxy_fix_x_for:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_fix_x_for)  # type: ignore[method-assign]

    configure_logging(app, settings)
    install_security_headers(app)
    install_http_cache(app)
    init_read_cache(app, settings)
    db.init_app(app)
    _configure_engines(app)
    migrate.init_app(
        app,
        db,
        directory=str(MIGRATIONS_DIR),
        compare_type=True,
        autogenerate_plugins=["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"],
    )
    limiter.init_app(app)
    # Flask-Limiter checks every request in a before_request hook, for default, application and blueprint limits.
    # We have none of those: each limit decorates its own view, whose wrapper checks it. So the hook only costs
    # time (about 0.05 ms of CPU a request); a renamed hook in another Flask-Limiter release fails here, loudly.
    # With RATELIMIT_ENABLED false the extension registers no hooks at all.
    hooks, check = app.before_request_funcs.get(None, []), limiter._check_request_limit
    if check in hooks:
        hooks.remove(check)
    api.init_app(app, spec_kwargs={"extra_plugins": [SchemaRulesPlugin()]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    _register_blueprints(app)
    register_error_handlers(app)
    if not settings.metrics_disabled:
        PrometheusMetrics(
            app, registry=CollectorRegistry(auto_describe=True), group_by="url_rule", path="/metrics", default_labels={}
        )

    from groupbuy.cli import groupbuy_cli  # noqa: PLC0415 - the CLI imports services; keep import order simple

    app.cli.add_command(groupbuy_cli)
    return app


class StatelessSessions(SessionInterface):
    """The API signs in with bearer tokens and keeps no cookie session: skip opening one on every request."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None  # Flask then uses a null session, which refuses writes

    def save_session(self, app: Flask, session: SessionMixin, response: Any) -> None:
        return None


def _install_implementations(app: Flask, settings: Settings) -> None:
    """The one registry of outside implementations, built from the settings (groupbuy/implementations.py)."""
    from groupbuy.implementations import build_registry  # noqa: PLC0415 - imports domains; keep import order simple

    app.extensions[REGISTRY_KEY] = build_registry(settings)


def _configure_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine  # creating the engine opens no connection
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)
        end_reads_with_commit(app, engine)  # after db.init_app: runs before its session removal
        app.teardown_appcontext(release_held)
        engines = list(db.engines.values())
    for each in engines:  # the session's pool and the autocommit pool (PostgreSQL): a lost server empties both
        others = [other for other in engines if other is not each]
        if others:
            event.listen(each, "handle_error", functools.partial(_on_disconnect, others=others))


def _on_disconnect(context: ExceptionContext, *, others: list[Engine]) -> None:
    """A dropped connection in one pool means the server went away for the other pool too (a restart, a
    failover): drop that pool's connections now, so a lost server still costs one 503, not one per pool."""
    if context.is_disconnect:
        for engine in others:
            engine.dispose()


def _register_blueprints(app: Flask) -> None:
    from groupbuy.accounts.routes import blp as accounts  # noqa: PLC0415
    from groupbuy.aftersales.routes import blp as aftersales  # noqa: PLC0415
    from groupbuy.cart.routes import blp as cart  # noqa: PLC0415
    from groupbuy.catalog.routes import blp as catalog  # noqa: PLC0415
    from groupbuy.coupons.routes import blp as coupons  # noqa: PLC0415
    from groupbuy.cs.routes import blp as customer_service  # noqa: PLC0415
    from groupbuy.flows.routes import blp as logistics  # noqa: PLC0415
    from groupbuy.flows.routes import desk_blp as leader_desk  # noqa: PLC0415
    from groupbuy.groups.routes import blp as groups  # noqa: PLC0415
    from groupbuy.inbox.routes import blp as inbox  # noqa: PLC0415
    from groupbuy.jobs.routes import blp as jobs  # noqa: PLC0415
    from groupbuy.leaders.routes import blp as leaders  # noqa: PLC0415
    from groupbuy.membership.routes import blp as membership  # noqa: PLC0415
    from groupbuy.messaging.routes import blp as messaging  # noqa: PLC0415
    from groupbuy.ops.routes import bp as ops  # noqa: PLC0415
    from groupbuy.orders.routes import blp as orders  # noqa: PLC0415
    from groupbuy.payments.routes import blp as payments  # noqa: PLC0415
    from groupbuy.payments.sandbox_page import bp as sandbox_checkout  # noqa: PLC0415
    from groupbuy.privacy.routes import blp as privacy  # noqa: PLC0415
    from groupbuy.reviews.routes import blp as reviews  # noqa: PLC0415
    from groupbuy.uploads.routes import blp as uploads  # noqa: PLC0415
    from groupbuy.uploads.routes import media_blp as media  # noqa: PLC0415
    from groupbuy.web.console_routes import console  # noqa: PLC0415
    from groupbuy.web.routes import share as share_page  # noqa: PLC0415
    from groupbuy.web.routes import workbench  # noqa: PLC0415

    app.register_blueprint(ops)
    app.register_blueprint(sandbox_checkout)
    app.register_blueprint(share_page)
    app.register_blueprint(workbench)
    app.register_blueprint(console)
    for blueprint in (
        accounts,
        catalog,
        leaders,
        groups,
        cart,
        orders,
        leader_desk,
        logistics,
        payments,
        inbox,
        jobs,
        privacy,
        uploads,
        media,
        membership,
        customer_service,
        messaging,
        coupons,
        aftersales,
        reviews,
    ):
        api.register_blueprint(blueprint)


def _openapi_settings() -> dict[str, Any]:
    return {
        "API_TITLE": API_TITLE,
        "API_VERSION": API_VERSION,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_URL,
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "Community group buying: leaders, deals, groups, orders, payments. "
                "Errors are application/problem+json with a stable `code`."
            },
        },
    }
