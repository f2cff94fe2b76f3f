"""The leaders migration adds users.current_leader_id on SQLite without rebuilding (and emptying) users."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from groupbuy import create_app
from groupbuy.db import db, dispose_engines

BEFORE, LEADERS = "decce5276973", "5b0c1d2e3f40"
NOW = "2026-11-22 08:00:00.000000"


def _count(table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def test_upgrade_and_downgrade_keep_rows_that_reference_users(tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "ENV": "test"})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, nickname, status, tier, login_failures, created_at, updated_at) "
                    "VALUES (1, 'a', 'active', 'bronze', 0, :now, :now)"
                ),
                {"now": NOW},
            )
            conn.execute(
                text("INSERT INTO user_roles (user_id, role, granted_at) VALUES (1, 'shopper', :now)"), {"now": NOW}
            )
            conn.execute(
                text(
                    "INSERT INTO addresses (user_id, recipient, phone, province, city, district, detail, is_default,"
                    " created_at, updated_at) VALUES (1, 'r', '0', 'p', 'c', 'd', 'x', 1, :now, :now)"
                ),
                {"now": NOW},
            )
        flask_migrate.upgrade(revision=LEADERS)
        assert (_count("users"), _count("user_roles"), _count("addresses")) == (1, 1, 1)
        fks = inspect(db.engine).get_foreign_keys("users")
        assert [(fk["name"], fk["referred_table"], fk["options"]) for fk in fks] == [
            ("fk_users_current_leader_id_leaders", "leaders", {"ondelete": "SET NULL"})
        ]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:  # enforced: no such leader
            conn.execute(text("UPDATE users SET current_leader_id = 42"))
        flask_migrate.downgrade(revision=BEFORE)
        assert (_count("users"), _count("user_roles"), _count("addresses")) == (1, 1, 1)
        assert "current_leader_id" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        dispose_engines()
