"""Declarative base, naming convention, UTC times, SQLite setup, transaction() (the only unit of work spanning several
statements; a statement that stands alone, db.alone, commits by itself) and alone()."""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Enum,
    Integer,
    MetaData,
    Select,
    delete,
    event,
    select,
)
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
ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite auto-increments only INTEGER keys


def enum_column(enum_type: type, name: str) -> Enum:
    """Enums stored as their string values, with a named CHECK (portable, visible to `db check`)."""
    return Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


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
AUTOCOMMIT_BIND = "autocommit"  # db.engines key of the pool db.alone() uses on PostgreSQL (groupbuy/config.py)

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
    session.info["on_commit"] = {}
    token = _write_intent.set(True)
    try:
        yield
        session.commit()
    except BaseException as exc:
        if getattr(exc, "persist", False):
            session.commit()
            _run_on_commit(session)
        else:
            session.rollback()
        raise
    else:
        _run_on_commit(session)
    finally:
        _write_intent.reset(token)
        session.info["tx_depth"] = 0
        session.info["on_commit"] = {}


def on_commit(key: str, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed (at once outside one); one per ``key`` per
    unit of work, and none if it rolls back. For effects outside the database: a cache version bump."""
    session = db.session()
    if not session.info.get("tx_depth"):
        callback()
        return
    session.info.setdefault("on_commit", {}).setdefault(key, callback)


def _run_on_commit(session: Any) -> None:
    callbacks, session.info["on_commit"] = session.info.get("on_commit", {}), {}
    for callback in callbacks.values():
        callback()


_WROTE = "groupbuy_wrote"  # Connection.info key: the transaction sent a statement other than a SELECT


def end_reads_with_commit(app: Any, engine: Engine) -> None:
    """On PostgreSQL, end a transaction that only read with COMMIT rather than ROLLBACK when an app context ends.

    The two are the same to PostgreSQL for a transaction that sent nothing but SELECTs, but psycopg forgets every
    prepared statement of the connection on ROLLBACK (and sends DEALLOCATE ALL): each page that read through the
    session cost the next checkouts on that connection their prepared statements (parsed and planned again,
    four executions before psycopg prepares them anew). A transaction that sent anything else, objects added and
    not flushed, a unit of work still open or an error on the way out: rolled back as before, by the session's
    removal that follows (this runs first: registered after Flask-SQLAlchemy's own teardown)."""
    if engine.dialect.name != "postgresql":
        return

    def _begun(conn: Connection) -> None:
        conn.info.pop(_WROTE, None)

    def _sent(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            conn.info[_WROTE] = True

    event.listen(engine, "begin", _begun)
    event.listen(engine, "before_cursor_execute", _sent)

    def _end_reads(exc: BaseException | None) -> None:
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if not session.in_transaction() or session.info.get("tx_depth") or _has_pending(session):
            return
        if session.connection().info.get(_WROTE):
            return
        with contextlib.suppress(Exception):  # a failed COMMIT: the session's removal that follows rolls back
            session.commit()

    app.teardown_appcontext(_end_reads)


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


def plain(value: Any) -> Any:
    """Enum members as their stored values (the driver adapts plain types only inside arrays)."""
    return value.value if isinstance(value, enum.Enum) else value


@contextmanager
def alone() -> Iterator[Connection]:
    """A connection of its own in autocommit, for statements that stand alone: a read that needs no snapshot
    shared with anything else (the token check), or a write that is complete in one statement (atomic by itself).
    One round trip each, no BEGIN/COMMIT. Inside an open unit of work, that unit's connection instead, so nothing
    escapes it. On PostgreSQL a request keeps the autocommit pool's connection it first took until it ends
    (``release_held``): its token check and a one-line checkout share one pool checkout."""
    if in_unit_of_work():
        yield connection()
        return
    engine = db.engines.get(AUTOCOMMIT_BIND)  # PostgreSQL: a pool that stays in autocommit (groupbuy/config.py)
    if engine is not None and has_request_context():
        if _HELD not in g:
            setattr(g, _HELD, engine.connect())
        yield getattr(g, _HELD)
        return
    if engine is not None:
        with engine.connect() as own:
            yield own
        return
    with db.engine.connect() as own:
        yield own.execution_options(isolation_level="AUTOCOMMIT")


_HELD = "groupbuy_alone"  # flask.g: the autocommit connection this request holds (db.alone)


def release_held(_: BaseException | None = None) -> None:
    """Return the autocommit connection the request held (an app context's teardown)."""
    held = g.pop(_HELD, None)
    if held is not None:
        held.close()


def in_unit_of_work() -> bool:
    """Whether a unit of work is open (no session yet in this scope: none, and none is made just to ask)."""
    return bool(db.session.registry.has() and db.session().info.get("tx_depth"))


def dispose_engines() -> None:
    """Close the pooled connections of every engine of this app: the session's and the autocommit pool's."""
    for engine in db.engines.values():
        engine.dispose()


def connection() -> Connection:
    """The session's connection, in its current transaction.

    Hot paths (checkout, cart, sign-in) run prebuilt Core statements here: the same transaction as the
    ORM work around them, without the unit of work, identity map or per-call statement construction.
    """
    return db.session.connection()


def fetch_rows(statement: Select[Any]) -> list[Sequence[Any]]:
    """A big read's rows as plain tuples, on the session's connection (same transaction).

    On PostgreSQL straight from psycopg's cursor: SQLAlchemy's result rows cost about 2 µs each, several times
    psycopg's own fetch (9,500 rows of three integers: 26 ms against 4 ms of CPU). Nothing is converted, so
    select plain columns (``type_coerce(enum_column, String)``); JSON comes back parsed either way.
    """
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return list(conn.execute(statement).all())
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = {name: plain(value) for name, value in compiled.params.items()}
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(str(compiled), params)
        return list(cursor.fetchall())


def delete_in_batches(model: type[Base], *where: ColumnElement[bool], limit: int) -> int:
    """Delete the rows of a one-column-key model matching ``where``, ``limit`` per transaction; the rows deleted.

    For retention jobs: short transactions keep locks and the WAL small; run twice (or by two schedulers at once),
    the second run finds nothing left.
    """
    (key,) = model.__mapper__.primary_key
    due = select(key).where(*where).order_by(key).limit(limit)
    deleted = 0
    while True:
        with transaction():
            ids = list(connection().scalars(due))
            if ids:
                deleted += connection().execute(delete(model).where(key.in_(ids))).rowcount
        if len(ids) < limit:
            return deleted


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
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # db.alone(): each statement commits by itself
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
