"""`run_prebuilt`: a hot Core statement compiled once and run on psycopg's raw cursor (PostgreSQL), converted as
SQLAlchemy converts it; plain `Connection.execute` on SQLite. docs/architecture.md "Concurrency" says why. And
`refused_unless` / `refusal_of`: a statement that writes several tables refuses as a whole (PostgreSQL)."""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Boolean, Connection, Text, case, func, literal_column
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.elements import ColumnElement

REFUSAL_SQLSTATE = "GB409"  # raised by groupbuy_refuse (migration f6b2c3d4e5a1), the reason as its message
_REASON = re.compile(r"[a-z_]+")


def refused_unless(*refusals: tuple[ColumnElement[bool], str]) -> ColumnElement[bool]:
    """A column (PostgreSQL) that raises at the first of ``refusals`` (condition, reason) that holds, and is true
    when none does: a statement that writes several tables at once then writes nothing of what it did so far,
    even in autocommit. Read the reason back from the error with ``refusal_of``."""
    for _, reason in refusals:
        if not _REASON.fullmatch(reason):
            raise ValueError(f"a refusal's reason is a code, like deal_sold_out: {reason!r}")
    verdict = case(*((holds, literal_column(f"'{reason}'", Text)) for holds, reason in refusals), else_=None)
    return func.groupbuy_refuse(verdict, type_=Boolean)


def refusal_of(error: BaseException) -> str | None:
    """The reason a ``refused_unless`` column raised, or None for any other error."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) != REFUSAL_SQLSTATE:
        return None
    return str(orig.diag.message_primary)  # type: ignore[union-attr]


@dataclass(slots=True)
class _Prebuilt:
    """A statement compiled for the driver once: its SQL text with numbered parameters, where each parameter's
    value comes from and how it is converted, and the rows it answers."""

    statement: Any  # kept so its id() is never reused while this lives
    sql: str  # with $1, $2 ...: psycopg's raw cursor sends it as it is, with no parsing of its own
    slots: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]  # per $n: name, own value or _CALLERS, how
    types: tuple[Any, ...]  # the result columns' types
    row: Callable[..., Any] | None  # a named tuple of the result columns; None if the statement answers no rows
    # the result columns that need converting, with how: known once a first result tells the driver's types
    results: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None


_PREBUILT: dict[tuple[int, frozenset[str]], _Prebuilt] = {}
_CALLERS = object()  # a parameter the caller binds
_PYFORMAT = re.compile(r"%\((?P<name>[^)]+)\)s|%%")
_CURSOR = "groupbuy_raw_cursor"  # pool record info key: the connection's raw cursor, kept for run_prebuilt


def _numbered(sql: str) -> tuple[str, list[str]]:
    """SQLAlchemy's ``%(name)s`` text with ``$1``, ``$2`` ... instead (a name used twice keeps its number); the
    names in number order."""
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        name = match.group("name")
        if name is None:
            return "%"
        return f"${names.setdefault(name, len(names) + 1)}"

    return _PYFORMAT.sub(number, sql), list(names)


def _prebuild(statement: Any, dialect: Dialect, names: frozenset[str]) -> _Prebuilt:
    compiled: Any = statement.compile(dialect=dialect, column_keys=sorted(names))
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise TypeError("run_prebuilt: a column default computed in Python would be skipped; bind it explicitly")
    own: dict[str, Any] = {}
    for bind, name in compiled.bind_names.items():
        if bind.expanding or bind.literal_execute:
            raise TypeError(f"run_prebuilt: bind {name!r} is rendered per execution; bind an array instead")
        if name not in names:
            if bind.required:
                raise TypeError(f"run_prebuilt: no value for bind {name!r}")
            own[name] = bind.effective_value
    processors = compiled._bind_processors
    sql, order = _numbered(compiled.string)
    slots = []
    for name in order:
        convert = processors.get(name)
        if name in own:  # converted once, here
            slots.append((name, convert(own[name]) if convert else own[name], None))
        else:
            slots.append((name, _CALLERS, convert))
    columns = compiled._result_columns
    return _Prebuilt(
        statement=statement,
        sql=sql,
        slots=tuple(slots),
        types=tuple(c.type for c in columns),
        row=namedtuple("Row", [c.keyname for c in columns]) if columns else None,
    )


def _result_converters(built: _Prebuilt, dialect: Dialect, description: Any) -> tuple[tuple[int, Any], ...]:
    """How each result column is converted, as SQLAlchemy would: some types go by the driver's type code."""
    converters = []
    for index, (type_, column) in enumerate(zip(built.types, description, strict=True)):
        process = type_.dialect_impl(dialect).result_processor(dialect, column.type_code)
        if process is not None:
            converters.append((index, process))
    return tuple(converters)


def _raw_cursor(conn: Connection) -> Any:
    """The raw cursor (``$n`` parameters, no query parsing) kept with ``conn``'s driver connection."""
    record = conn.connection
    raw: Any = record.driver_connection
    cursor = record.info.get(_CURSOR)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        cursor = record.info[_CURSOR] = psycopg.RawCursor(raw)
    return cursor


def run_prebuilt(conn: Connection, statement: Any, params: Mapping[str, Any]) -> list[Any]:
    """Run a Core statement built once (a module constant or a cached builder's) on ``conn``; its rows, each a
    named tuple of its result columns (SQLAlchemy rows on SQLite).

    On PostgreSQL the statement is compiled once per set of parameter names, its parameters numbered, and it runs
    on psycopg's raw cursor: SQLAlchemy's execution of a compiled statement (its cache key, execution context and
    result) cost as much Python time as psycopg and PostgreSQL together, for each of checkout's statements, and
    psycopg parsed the longer ones for their parameters on every execution (py-spy on live workers). Binds and
    results are converted as SQLAlchemy would, listeners of ``before_cursor_execute`` are told, and a driver
    error is raised as SQLAlchemy's. Not for statements with expanding or per-execution binds, nor for inserts
    that would fill a column from a Python-side default (both refused when first run).
    """
    if conn.dialect.name != "postgresql":
        result = conn.execute(statement, params)
        return list(result.all()) if result.returns_rows else []
    names = frozenset(params)
    built = _PREBUILT.get((id(statement), names))
    if built is None or built.statement is not statement:
        built = _PREBUILT[(id(statement), names)] = _prebuild(statement, conn.dialect, names)
    values = []
    for name, value, convert in built.slots:
        if value is _CALLERS:  # a caller's value; converted even when None, as SQLAlchemy does (JSON's None)
            value = convert(params[name]) if convert else params[name]
        values.append(value)
    cursor = _raw_cursor(conn)
    if conn._has_events or conn.engine._has_events:
        conn.dispatch.before_cursor_execute(conn, cursor, built.sql, values, None, False)
    try:
        cursor.execute(built.sql, values)
        fetched = cursor.fetchall() if built.row is not None else []
    except conn.dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, built.sql, values, cursor, None)
        raise  # not reached: the call above raises SQLAlchemy's wrapper
    if built.results is None and built.row is not None:
        built.results = _result_converters(built, conn.dialect, cursor.description)
    if not fetched or built.row is None:
        return []
    if built.results:
        converted = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for index, convert in built.results:
                row[index] = convert(row[index])
            converted.append(row)
        fetched = converted
    return [built.row._make(row) for row in fetched]  # type: ignore[attr-defined]
