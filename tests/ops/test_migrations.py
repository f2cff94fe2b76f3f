"""The migrations build exactly the models' schema, go down cleanly, and have a single head."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from groupbuy import create_app
from groupbuy.db import db, dispose_engines
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
        dispose_engines()


def test_line_refunds_migration_gives_orders_refunded_whole_a_consistent_line_state(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Orders refunded whole before lines had a state come out of the migration with their lines refunded,
    one ledger row for their refund_due_fen, and totals moved to the refund; other orders' lines stay active."""
    from datetime import timedelta

    from sqlalchemy import select

    from groupbuy.flows.closing import close_due_groups
    from groupbuy.orders.enums import LineStatus, OrderStatus, RefundReason
    from groupbuy.orders.models import Order, OrderRefund
    from groupbuy.orders.service import cancel_order
    from tests.conftest import _test_config
    from tests.factories.market import T0, Shop
    from tests.jobs.conftest import pay, place

    app = create_app(_test_config(f"sqlite:///{tmp_path / 'backfill.db'}"))
    with app.app_context():
        flask_migrate.upgrade()
    shop = Shop(app)
    fails, goes = shop.deal(price_fen=990, min_group_quantity=5), shop.deal(price_fen=300, min_group_quantity=1)
    cancelled, failed, kept, unpaid = (place(app, shop.shopper(), d, 2) for d in (goes, fails, goes, goes))
    for order_id in (cancelled, failed, kept):
        pay(app, order_id)
    with app.app_context():
        owner = db.session.get_one(Order, cancelled).user_id
        cancel_order(user_id=owner, order_id=cancelled, now=T0 + timedelta(minutes=5))
        close_due_groups(now=shop.cutoff, limit=10)
        flask_migrate.downgrade(revision="a05b6c7d8e95")  # the schema before lines had a state
        db.session.remove()
        flask_migrate.upgrade()
        db.session.remove()
        orders = {o.id: o for o in db.session.scalars(select(Order))}
        assert orders[cancelled].status is OrderStatus.REFUNDING and orders[failed].status is OrderStatus.REFUNDING
        for order_id, reason in ((cancelled, RefundReason.ORDER_CANCELLED), (failed, RefundReason.GROUP_FAILED)):
            order = orders[order_id]
            assert [(line.status, line.refunded_quantity, line.refund_reason) for line in order.lines] == [
                (LineStatus.REFUNDING, 2, reason)
            ]
            (ledger,) = db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order_id)).all()
            assert ledger.amount_fen == order.refund_due_fen == order.paid_fen and ledger.reason is reason
            assert [(r.line_id, r.quantity) for r in ledger.lines] == [(order.lines[0].id, 2)]
            assert order.payable_fen + order.refund_due_fen == order.paid_fen
        for order_id in (kept, unpaid):
            assert [line.status for line in orders[order_id].lines] == [LineStatus.ACTIVE]
        assert orders[kept].payable_fen == orders[kept].paid_fen == 600
        db.session.remove()
        dispose_engines()
