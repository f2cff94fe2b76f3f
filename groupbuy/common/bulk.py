"""Bulk writes on the session's connection: many rows in one statement over unnest() arrays on PostgreSQL (an
executemany there is a statement per row), an executemany on SQLite."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, bindparam, update

from groupbuy.db import db, plain, upsert_insert


def update_many(
    table: Table, rows: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], *, add: Sequence[str] = ()
) -> int:
    """UPDATE many rows, each ``(match, values)``: the row whose columns equal ``match`` (its key and the state it
    was read in) gets ``values`` (columns named in ``add`` get the value added to what they hold). Returns how
    many rows changed, so callers can tell a row that moved meanwhile.

    PostgreSQL: one statement joining unnest() arrays (an executemany would be one statement per row: the bulk
    refunds of a closing run spent most of their time there). SQLite: an executemany, in-process and cheap.
    """
    if not rows:
        return 0
    match_cols, set_cols = list(rows[0][0]), list(rows[0][1])
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        statement = (
            update(table)
            .where(*(table.c[c] == bindparam(f"m_{c}") for c in match_cols))
            .values({c: (table.c[c] + bindparam(f"s_{c}")) if c in add else bindparam(f"s_{c}") for c in set_cols})
        )
        bound = [{**{f"m_{k}": v for k, v in m.items()}, **{f"s_{k}": v for k, v in s.items()}} for m, s in rows]
        return int(session.execute(statement, bound).rowcount)  # type: ignore[attr-defined]
    params = {f"m_{c}": (table.c[c], [m[c] for m, _ in rows]) for c in match_cols}
    params |= {f"s_{c}": (table.c[c], [s[c] for _, s in rows]) for c in set_cols}
    sets = ", ".join(f'"{c}" = {f"t.{c} + " if c in add else ""}v.s_{c}' for c in set_cols)
    where = " AND ".join(f't."{c}" = v.m_{c}' for c in match_cols)
    sql = f'UPDATE "{table.name}" AS t SET {sets} FROM {_unnest(params)} AS v({", ".join(params)}) WHERE {where}'  # noqa: S608 - names are our columns
    return _run_arrays(sql, params)[0]


def insert_many(
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = (),
    skip_conflicts_on: Sequence[str] = (),
) -> list[Any]:
    """INSERT many rows (all with the same keys); the ``returning`` columns of each row inserted, in no set order.
    ``skip_conflicts_on``: rows clashing on this unique key are skipped (ON CONFLICT DO NOTHING).

    PostgreSQL: one short statement over unnest() arrays. psycopg sends an executemany as one statement per row,
    and a multi-row VALUES text costs it more to parse than the rows cost to insert (measured on a closing run).
    SQLite: an executemany.
    """
    if not rows:
        return []
    session = db.session
    names = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        statement: Any = upsert_insert("sqlite", table)
        if skip_conflicts_on:
            statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
        if not returning:
            session.execute(statement, [dict(row) for row in rows])
            return []
        statement = statement.returning(*(table.c[c] for c in returning), sort_by_parameter_order=True)
        return list(session.execute(statement, [dict(row) for row in rows]).all())
    params = {f"a_{n}": (table.c[n], [row[n] for row in rows]) for n in names}
    columns = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table.name}" ({columns}) SELECT * FROM {_unnest(params)}'  # noqa: S608 - our columns
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
    return _run_arrays(sql, params, fetch=bool(returning))[1]


def _unnest(params: Mapping[str, tuple[Any, list[Any]]]) -> str:
    """``unnest(CAST(%(name)b AS <column type>[]), ...)`` over the named parameter arrays, in order."""
    dialect = db.session.get_bind().dialect
    return (
        "unnest("
        + ", ".join(f"CAST(%({n})b AS {c.type.compile(dialect=dialect)}[])" for n, (c, _) in params.items())
        + ")"
    )


def _array_item(column: Any, value: Any) -> Any:
    """A value as an element of a parameter array: enums as their values, JSON as its text."""
    if value is not None and isinstance(column.type, JSON):
        return json.dumps(value, ensure_ascii=False)
    return plain(value)


def _run_arrays(sql: str, params: Mapping[str, tuple[Any, list[Any]]], *, fetch: bool = False) -> tuple[int, list[Any]]:
    """Run an unnest() statement on the session's connection (same transaction) with its arrays sent in binary:
    psycopg's text format escapes every string of an array with regular expressions, most of a bulk write's time."""
    values = {name: [_array_item(column, value) for value in items] for name, (column, items) in params.items()}
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(sql, values)
        return cursor.rowcount, list(cursor.fetchall()) if fetch else []
