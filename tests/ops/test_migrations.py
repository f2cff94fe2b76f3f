"""The migrations build exactly the models' schema, go down cleanly, and have a single head."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from groupbuy import create_app
from groupbuy.db import db
from groupbuy.ops.service import head_revisions

PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]


def test_upgraded_schema_matches_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "autogenerate_plugins": PLUGINS})
        assert compare_metadata(context, db.metadata) == []


def test_single_head() -> None:
    assert len(head_revisions()) == 1


def test_downgrade_to_base_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'roundtrip.db'}", "ENV": "test"})
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        flask_migrate.upgrade()
        assert "users" in inspect(db.engine).get_table_names()
        db.engine.dispose()
