"""`prebuilt.run_prebuilt`: hot statements run on psycopg's cursor must give what SQLAlchemy's execution gives.

On SQLite it is SQLAlchemy's execution itself; on PostgreSQL (the tests marked ``pg`` run there only) it skips
SQLAlchemy's execution context, so these tests hold it to the same values in and out, the same listeners, the
same errors and the same end of a transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import bindparam, exc, exists, insert, select, text, update

from groupbuy.catalog.models import Deal
from groupbuy.db import alone, connection, db, transaction
from groupbuy.jobs.models import JobLock, JobRun
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.leaders.models import Leader
from groupbuy.prebuilt import refusal_of, refused_unless, run_prebuilt
from tests.factories.market import Shop
from tests.rows import statements_sent

_LEADER = select(Leader.id, Leader.status, Leader.lat, Leader.lng, Leader.offers_delivery, Leader.created_at).where(
    Leader.id == bindparam("leader_id")
)
_ADD_RUN = insert(JobRun).returning(JobRun.id, JobRun.started_at, JobRun.counts)
_RUN = {"job": "prebuilt-test", "runner": "here:1", "items_done": 0, "errors": None, "simulated_now": None}
_STOCK = update(Deal).where(Deal.id == bindparam("deal")).values(stock_available=0)


def test_its_rows_hold_what_sqlalchemy_gives(shop: Shop, app: Flask) -> None:
    with app.app_context():
        conn = connection()
        (mine,) = run_prebuilt(conn, _LEADER, {"leader_id": shop.leader_id})
        (theirs,) = conn.execute(_LEADER, {"leader_id": shop.leader_id}).all()
        db.session.rollback()
    assert tuple(mine) == tuple(theirs)
    assert mine.status is LeaderStatus.ACTIVE  # an enum member, not the string stored
    assert isinstance(mine.lat, float)  # as Float gives it, not psycopg's Decimal
    assert mine.created_at.tzinfo is UTC  # aware, in UTC


def test_its_binds_are_converted_as_sqlalchemy_converts_them(app: Flask) -> None:
    east = timezone(timedelta(hours=8))
    started = datetime(2026, 12, 3, 20, 0, tzinfo=east)
    with app.app_context():
        with transaction():
            (row,) = run_prebuilt(connection(), _ADD_RUN, {**_RUN, "started_at": started, "counts": {"件": 2}})
            (none_row,) = run_prebuilt(connection(), _ADD_RUN, {**_RUN, "started_at": started, "counts": None})
        stored = db.session.get(JobRun, row.id)
        assert stored is not None
        assert (stored.started_at, stored.counts) == (started, {"件": 2})
        assert stored.started_at.tzinfo is UTC
        json_null = db.session.execute(
            text("SELECT counts IS NULL, CAST(counts AS TEXT) FROM job_runs WHERE id = :id"), {"id": none_row.id}
        ).one()
        db.session.rollback()
    assert (row.started_at, row.counts) == (started, {"件": 2})  # RETURNING converted too
    assert tuple(json_null) == (False, "null")  # JSON's None is JSON null, as SQLAlchemy writes it


def test_listeners_see_each_statement(app: Flask) -> None:
    with app.app_context():
        conn = connection()
        with statements_sent(app) as sent:
            run_prebuilt(conn, _LEADER, {"leader_id": 0})
        db.session.rollback()
    assert len(sent) == 1
    assert sent[0].startswith("SELECT leaders.id")


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(app: Flask) -> None:
    lock = insert(JobLock).values(job="prebuilt-test", locked_until=None, holder=None)
    with app.app_context():
        with transaction():
            run_prebuilt(connection(), lock, {})
        with pytest.raises(exc.IntegrityError), transaction():
            run_prebuilt(connection(), lock, {})
        assert db.session.scalars(select(JobLock.job).where(JobLock.job == "prebuilt-test")).all() == ["prebuilt-test"]
        db.session.rollback()


@pytest.mark.pg
def test_a_write_outside_a_unit_of_work_still_rolls_back(shop: Shop, app: Flask) -> None:
    """A request's read-only transaction ends with COMMIT (db.end_reads_with_commit): a write sent through
    run_prebuilt must count as one, or it would be committed when the context ends."""
    deal = shop.deal(stock=5)
    with app.app_context():
        run_prebuilt(connection(), _LEADER, {"leader_id": shop.leader_id})
        run_prebuilt(connection(), _STOCK, {"deal": deal})
    with app.app_context():
        left = db.session.scalar(select(Deal.stock_available).where(Deal.id == deal))
        db.session.rollback()
    assert left == 5


@pytest.mark.pg
def test_a_bind_rendered_per_execution_is_refused(app: Flask) -> None:
    expanding = select(Leader.id).where(Leader.id.in_(bindparam("ids", expanding=True)))
    with app.app_context(), pytest.raises(TypeError, match="rendered per execution"):
        run_prebuilt(connection(), expanding, {"ids": [1, 2]})


@pytest.mark.pg
def test_a_column_default_computed_in_python_is_refused(app: Flask) -> None:
    """`JobRun.counts` defaults to dict(): left out, SQLAlchemy would call it for each row; run_prebuilt cannot."""
    no_counts = _RUN | {"started_at": datetime(2026, 12, 3, tzinfo=UTC)}
    with app.app_context(), pytest.raises(TypeError, match="computed in Python"):
        run_prebuilt(connection(), _ADD_RUN, no_counts)


@pytest.mark.pg
def test_a_refusal_undoes_the_whole_statement_even_in_autocommit(shop: Shop, app: Flask) -> None:
    """refused_unless: a statement that wrote before its verdict writes nothing when it refuses, with no transaction
    around it; the reason comes back from the error, and any other error is not a refusal."""
    deal = shop.deal(stock=5)
    emptied = _STOCK.returning(Deal.id).cte("emptied")
    verdict = select(refused_unless((exists(emptied.select()), "emptied_then_refused")).label("ok"))
    kept = select(refused_unless((~exists(emptied.select()), "never")).label("ok"))
    with app.app_context():
        with alone() as own, pytest.raises(exc.DBAPIError) as refused:
            run_prebuilt(own, verdict, {"deal": deal})
        assert refusal_of(refused.value) == "emptied_then_refused"
        assert db.session.get_one(Deal, deal).stock_available == 5
        with alone() as own:
            assert [tuple(row) for row in run_prebuilt(own, kept, {"deal": deal})] == [(True,)]
            with pytest.raises(exc.DBAPIError) as other:
                own.execute(text("SELECT 1 / 0"))
        assert refusal_of(other.value) is None
        db.session.expire_all()
        assert db.session.get_one(Deal, deal).stock_available == 0
        db.session.rollback()


def test_a_refusal_reason_is_a_code() -> None:
    with pytest.raises(ValueError, match="is a code"):
        refused_unless((exists(select(Deal.id)), "it's sold out"))
