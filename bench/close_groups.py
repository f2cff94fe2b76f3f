"""close_due_groups at scale: 10,000 due groups with 100,000 orders, closed by one run of the job.

    .venv/bin/python bench/close_groups.py [--leaders 1000] [--deals 10] [--per-group 10] [--keep]

Needs PostgreSQL on 127.0.0.1 (creates and drops the database gb_bench_close). The world is bulk-inserted
with SQLAlchemy Core: leaders × deals groups, each with per-group orders of one unit from distinct shoppers,
all paid but one pending per group. Half the deals (the odd ones) need more paid units than a group has, so
half the groups fail and half succeed. A third of all orders span two groups: two in three orders of a
succeeding deal also hold one unit of the next (failing) deal, so those orders are refunded line by line (the
failing line refunded, the other carrying on); single-line orders of failing groups are refunded whole; every
pending order is cancelled. Prints the seconds, rows/s and the peak RSS before and after the run (target: under
30 s, memory flat), then checks conservation and the money. Not a test.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "gb_bench_close"
CUTOFF = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PICKUP = date(2026, 11, 23)
CHUNK = 5000


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert  # noqa: PLC0415

    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])


def seed(app: Any, *, leaders: int, deals: int, per_group: int) -> tuple[int, int]:
    """Bulk-insert the world; returns (groups, orders)."""
    from groupbuy.accounts.models import User, UserRole  # noqa: PLC0415
    from groupbuy.catalog.models import Category, Deal, Product, Sku, UserDealPurchase  # noqa: PLC0415
    from groupbuy.db import db  # noqa: PLC0415
    from groupbuy.groups.models import Group  # noqa: PLC0415
    from groupbuy.leaders.models import Leader  # noqa: PLC0415
    from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent  # noqa: PLC0415

    t = {m: m.__table__ for m in (User, UserRole, Category, Product, Sku, Deal, Leader, Group)}
    o = {m: m.__table__ for m in (Order, OrderLine, OrderTimelineEvent, UserDealPurchase)}
    start = CUTOFF - timedelta(days=1)
    shoppers = leaders * per_group  # shopper s shops with leader s // per_group, once per deal
    with app.app_context(), db.engine.begin() as conn:
        stamp = {"created_at": start, "updated_at": start}
        users = [
            {"id": i + 1, "phone": f"139{i:08d}", "nickname": f"u{i}", "status": "active", "tier": "seed"}
            | {"login_failures": 0}
            | stamp
            for i in range(leaders + shoppers)
        ]
        _insert(conn, t[User], users)
        _insert(conn, t[UserRole], [{"user_id": u["id"], "role": "shopper", "granted_at": start} for u in users])
        _insert(conn, t[UserRole], [{"user_id": i + 1, "role": "leader", "granted_at": start} for i in range(leaders)])
        _insert(
            conn,
            t[Leader],
            [
                {"id": i + 1, "user_id": i + 1, "display_name": f"团长{i}", "real_name": "王", "phone": f"137{i:08d}"}
                | {"pickup_point_name": f"自提点{i}", "address": "幸福路", "lat": 30.0, "lng": 120.0}
                | {"opening_hours": "8-20", "status": "active", "commission_rate_bp": 1000, "offers_delivery": False}
                | {"delivery_fee_fen": 0, "identity_verified": True, "credit_score": 0, "active_since": start}
                | stamp
                for i in range(leaders)
            ],
        )
        _insert(conn, t[Category], [{"id": 1, "name": "水果", "sort_order": 0} | stamp])
        _insert(
            conn,
            t[Product],
            [
                {"id": d + 1, "category_id": 1, "name": f"苹果{d}", "description": "产地直发，脆甜多汁。", "images": []}
                | {"supplier": "果园", "listing_key": f"b{d}", "status": "active"}
                | stamp
                for d in range(deals)
            ],
        )
        _insert(
            conn,
            t[Sku],
            [
                {"id": d + 1, "product_id": d + 1, "spec": "1 kg", "list_price_fen": 2990, "stock": 0} | stamp
                for d in range(deals)
            ],
        )
        units = leaders * per_group
        _insert(
            conn,
            t[Deal],
            [
                {"id": d + 1, "sku_id": d + 1, "title": f"苹果{d} 1 kg", "group_price_fen": 990, "starts_at": start}
                | {"cutoff_at": CUTOFF, "pickup_date": PICKUP, "limit_per_user": 99, "status": "active"}
                | {"min_group_quantity": per_group - 1 if d % 2 == 0 else per_group * 10}  # even deals succeed
                | {"stock_allocated": 2 * units, "stock_available": units, "created_at": start}
                for d in range(deals)
            ],
        )
        groups = [
            {"id": leader * deals + d + 1, "leader_id": leader + 1, "deal_id": d + 1, "status": "open"}
            | {"opened_by": "order", "units_reserved": per_group, "units_paid": per_group - 1, "created_at": start}
            for leader in range(leaders)
            for d in range(deals)
        ]
        _insert(conn, t[Group], groups)
        order_id = 0
        for leader in range(leaders):  # one leader's orders at a time keeps the lists small
            orders, lines, events = [], [], []
            for d in range(deals):
                for k in range(per_group):
                    order_id += 1
                    shopper = leaders + leader * per_group + k + 1
                    paid = k < per_group - 1
                    n = 2 if d % 2 == 0 and d + 1 < deals and k % 3 != 2 else 1  # lines in this order
                    orders.append(
                        {"id": order_id, "order_no": f"GB{order_id:018d}", "user_id": shopper}
                        | {"leader_id": leader + 1, "status": "paid" if paid else "pending_payment"}
                        | {"fulfilment": "pickup", "items_fen": 990 * n, "delivery_fee_fen": 0, "discount_fen": 0}
                        | {"payable_fen": 990 * n, "paid_fen": 990 * n if paid else 0, "refund_due_fen": 0}
                        | {"refunded_fen": 0, "pickup_date": PICKUP, "pickup_code": f"{order_id:08d}" if paid else None}
                        | {"pay_before": CUTOFF + timedelta(minutes=10), "paid_at": start if paid else None}
                        | stamp
                    )
                    mixed = d % 2 == 0 and d + 1 < deals and k % 3 != 2  # also one unit of the next, failing deal
                    for deal in (d, d + 1) if mixed else (d,):
                        lines.append(
                            {"order_id": order_id, "deal_id": deal + 1, "group_id": leader * deals + deal + 1}
                            | {"product_name": f"苹果{deal}", "spec": "1 kg", "unit_price_fen": 990, "quantity": 1}
                            | {"line_total_fen": 990, "pickup_date": PICKUP}
                        )
                    events.append({"order_id": order_id, "event": "place", "from_status": None})
                    if paid:
                        events.append({"order_id": order_id, "event": "pay", "from_status": "pending_payment"})
            _insert(conn, o[Order], orders)
            _insert(conn, o[OrderLine], lines)
            _insert(
                conn,
                o[OrderTimelineEvent],
                [
                    e
                    | {"to_status": "paid" if e["event"] == "pay" else "pending_payment", "actor": "bench", "at": start}
                    for e in events
                ],
            )
        # Counters from the lines as written: per-user purchases, group units, stock left.
        conn.exec_driver_sql(
            "INSERT INTO user_deal_purchases (user_id, deal_id, quantity) SELECT o.user_id, l.deal_id, sum(l.quantity)"
            " FROM order_lines l JOIN orders o ON o.id = l.order_id GROUP BY o.user_id, l.deal_id"
        )
        conn.exec_driver_sql(
            "UPDATE groups g SET units_reserved = s.reserved, units_paid = s.paid FROM (SELECT l.group_id,"
            " sum(l.quantity) AS reserved, sum(CASE WHEN o.status = 'paid' THEN l.quantity ELSE 0 END) AS paid"
            " FROM order_lines l JOIN orders o ON o.id = l.order_id GROUP BY l.group_id) s WHERE s.group_id = g.id"
        )
        conn.exec_driver_sql(
            "UPDATE deals d SET stock_allocated = 2 * s.units, stock_available = s.units FROM (SELECT deal_id,"
            " sum(quantity) AS units FROM order_lines GROUP BY deal_id) s WHERE s.deal_id = d.id"
        )
        for table in ("users", "leaders", "categories", "products", "skus", "deals", "groups", "orders", "order_lines"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - our names
            )
        conn.exec_driver_sql("ANALYZE")
    return len(groups), order_id


def check(app: Any) -> dict[str, int]:
    """Outcome counts; stock conservation per deal (allocated = available + live units), Σ line refunds = Σ ledger
    = Σ refund_due_fen, and every group's units_paid = its paid orders' active units."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from groupbuy.catalog.models import Deal  # noqa: PLC0415
    from groupbuy.db import db  # noqa: PLC0415
    from groupbuy.groups.models import Group  # noqa: PLC0415
    from groupbuy.notifications.models import Notification  # noqa: PLC0415
    from groupbuy.orders.enums import LineStatus, OrderStatus  # noqa: PLC0415
    from groupbuy.orders.models import Order, OrderLine, OrderRefund  # noqa: PLC0415
    from groupbuy.orders.states import LIVE_STATES  # noqa: PLC0415

    with app.app_context():
        found = {
            f"groups_{s}": n for s, n in db.session.execute(select(Group.status, func.count()).group_by(Group.status))
        }
        found |= {
            f"orders_{s}": n for s, n in db.session.execute(select(Order.status, func.count()).group_by(Order.status))
        }
        found["notifications"] = db.session.scalar(select(func.count()).select_from(Notification)) or 0
        live = dict(
            db.session.execute(
                select(OrderLine.deal_id, func.sum(OrderLine.quantity - OrderLine.refunded_quantity))
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.status.in_(list(LIVE_STATES)))
                .group_by(OrderLine.deal_id)
            ).all()
        )
        for deal in db.session.scalars(select(Deal)):
            assert deal.stock_allocated == deal.stock_available + int(live.get(deal.id, 0)), deal.id
        found["lines_refunding"] = db.session.scalar(
            select(func.count()).select_from(OrderLine).where(OrderLine.status == LineStatus.REFUNDING)
        )
        line_refunds = db.session.scalar(select(func.sum(OrderLine.refunded_fen))) or 0
        ledger = db.session.scalar(select(func.sum(OrderRefund.amount_fen))) or 0
        owed = db.session.scalar(select(func.sum(Order.refund_due_fen))) or 0
        assert line_refunds == ledger == owed, (line_refunds, ledger, owed)
        found["refund_due_fen"] = owed
        paid_units = dict(
            db.session.execute(
                select(OrderLine.group_id, func.sum(OrderLine.quantity - OrderLine.refunded_quantity))
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.status.in_([OrderStatus.PAID]))
                .group_by(OrderLine.group_id)
            ).all()
        )
        for group in db.session.scalars(select(Group)):
            assert group.units_paid == int(paid_units.get(group.id, 0)), group.id
        db.session.remove()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=1000)
    parser.add_argument("--deals", type=int, default=10)
    parser.add_argument("--per-group", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    from groupbuy import create_app  # noqa: PLC0415
    from groupbuy.jobs.scheduler import JOBS_BY_ID, run_scheduled_job  # noqa: PLC0415

    _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DATABASE}")
    try:
        import flask_migrate  # noqa: PLC0415

        app = create_app({"DATABASE_URL": f"{PG}/{DATABASE}", "LOG_LEVEL": "WARNING", "METRICS_DISABLED": True})
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
        began = time.perf_counter()
        groups, orders = seed(app, leaders=args.leaders, deals=args.deals, per_group=args.per_group)
        print(f"seeded {groups:,} due groups and {orders:,} orders in {time.perf_counter() - began:.1f} s")

        rss_before = _peak_rss_mb()
        began = time.perf_counter()
        outcome = run_scheduled_job(app, JOBS_BY_ID["close_due_groups"], CUTOFF + timedelta(seconds=1))
        seconds = time.perf_counter() - began
        rss_after = _peak_rss_mb()
        assert outcome.errors is None, outcome.errors
        counts = outcome.counts
        moved = counts["orders_refunding"] + counts["orders_partly_refunded"] + counts["orders_cancelled"]
        closed = counts["groups_succeeded"] + counts["groups_failed"]
        print(f"close_due_groups: {counts}")
        print(f"  {seconds:.2f} s   {closed / seconds:,.0f} groups/s   {moved / seconds:,.0f} orders moved/s")
        after = check(app)
        rows = closed + moved + after["notifications"]
        print(f"  {rows / seconds:,.0f} rows/s ({rows:,} = groups closed + orders moved + notifications written)")
        print(f"  peak RSS before {rss_before:.0f} MB, after {rss_after:.0f} MB ({rss_after - rss_before:+.0f} MB)")
        again = run_scheduled_job(app, JOBS_BY_ID["close_due_groups"], CUTOFF + timedelta(seconds=1))
        print(f"second run: {again.counts}")
        print(f"database after: {after}")
        print("target < 30 s:", "met" if seconds < 30 else "MISSED")
        with app.app_context():
            from groupbuy.db import db  # noqa: PLC0415

            db.engine.dispose()
    finally:
        if not args.keep:
            _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
