"""Readiness: the database answers and its schema is at the migrations' head."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from groupbuy.db import db

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def head_revisions() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


def readiness() -> dict[str, str]:
    """What is not ready, by check name (empty when ready)."""
    problems: dict[str, str] = {}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as exc:
        return {"database": type(exc).__name__}
    if current != head_revisions():
        problems["migrations"] = f"at {sorted(current) or 'nothing'}, head is {sorted(head_revisions())}"
    return problems
