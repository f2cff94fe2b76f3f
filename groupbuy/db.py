"""Declarative base, naming convention, UTC times, SQLite setup and transaction(): the ONLY commit site."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, DateTime, Engine, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out; SQLite drops offsets, so we normalise both ways."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Every model subclasses this (not db.Model) so mypy sees real types."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# Set while a write transaction is opening, so SQLite starts it with BEGIN IMMEDIATE
# (take the write lock up front and wait busy_timeout, instead of failing on upgrade).
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


@contextmanager
def transaction() -> Iterator[None]:
    """Run a unit of work; the outermost call commits, nested calls join; errors roll back.

    A DomainError whose ``persist`` is true (a failed login counted, a wrong code counted)
    is committed before it propagates.
    """
    session = db.session()
    depth = session.info.get("tx_depth", 0)
    if depth:  # joining the enclosing unit of work: nothing to open, commit or roll back here
        session.info["tx_depth"] = depth + 1
        try:
            yield
        finally:
            session.info["tx_depth"] = depth
        return
    if session.in_transaction() and not _has_pending(session) and _is_sqlite(session):
        # Close a read-only transaction left by an earlier query (e.g. the token lookup) so the write
        # transaction starts with BEGIN IMMEDIATE. PostgreSQL needs no such step (and would reload objects).
        session.rollback()
    session.info["tx_depth"] = 1
    token = _write_intent.set(True)
    try:
        yield
        session.commit()
    except BaseException as exc:
        if getattr(exc, "persist", False):
            session.commit()
        else:
            session.rollback()
        raise
    finally:
        _write_intent.reset(token)
        session.info["tx_depth"] = 0


def _has_pending(session: Any) -> bool:
    return bool(session.new or session.dirty or session.deleted)


def _is_sqlite(session: Any) -> bool:
    return bool(session.get_bind().dialect.name == "sqlite")


def insert_or_ignore(table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING-capable insert for the bound dialect (PostgreSQL or SQLite)."""
    return upsert_insert(db.engine.dialect.name, table)


def upsert_insert(dialect_name: str, table: Any) -> Any:
    """The ON CONFLICT-capable insert of a dialect, for statements built once per dialect."""
    return postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)


def connection() -> Connection:
    """The session's connection, in its current transaction.

    Hot paths (checkout, cart, sign-in) run prebuilt Core statements here: the same transaction as the
    ORM work around them, without the unit of work, identity map or per-call statement construction.
    """
    return db.session.connection()


def configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and explicit BEGIN so SAVEPOINTs and locking behave."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (pysqlite recipe)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
