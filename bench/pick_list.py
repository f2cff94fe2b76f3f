"""The pick list of a busy pickup point: one leader with 5,000 orders on one pickup date, JSON and CSV.

    .venv/bin/python bench/pick_list.py [--url postgresql+psycopg://postgres@127.0.0.1:5432] [--orders 5000]
                                        [--requests 200] [--keep]

The server URL (without a database) comes from --url or GROUPBUY_BENCH_PG_URL; the bench creates and drops its
own database gb_bench_pick_list there. The world is bulk-inserted with SQLAlchemy Core: the leader's orders
(1-3 lines each over 8 deals, one in ten with a unit refunded, one in twenty unpaid) and as many orders of a
second leader on the same date and of the first leader on the day before, so the query has neighbours to skip.
Each format is then requested --requests times through the Flask test client (routing, token check, query,
rendering: everything but the socket), after 10 warm-up requests, twice: "cold" with the rendered-list cache off
(GROUPBUY_PICK_LIST_CACHE_ENTRIES=0: every request renders the list in PostgreSQL) and "warm" with it on (every
request reads the version of the day's rows, finds it unchanged and serves the kept list). Prints p50 / p99 /
max in ms with the load average of the machine beside each line, the body size, checks the totals against the
order lines in SQL, and says whether p99 < 100 ms. Not a test.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATABASE = "gb_bench_pick_list"
PICKUP = date(2026, 11, 23)
START = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
DEALS = 8
CHUNK = 5000
TARGET_P99_MS = 100.0


def _psql(url: str, sql: str) -> None:
    host = url.split("@", 1)[1].split("/", 1)[0] if "@" in url else "127.0.0.1:5432"
    user = url.split("://", 1)[1].split("@", 1)[0] if "@" in url else "postgres"
    name, _, port = host.partition(":")
    command = ["psql", "-h", name, "-p", port or "5432", "-U", user, "-d", "postgres", "-qc", sql]
    subprocess.run(command, check=True)


def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert  # noqa: PLC0415

    for start in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[start : start + CHUNK])


def seed(app: Any, *, orders_per_leader: int) -> None:
    """Leader 1 (the one measured), leader 2 (same day) and leader 1's previous day: orders_per_leader each."""
    from groupbuy.accounts.models import User, UserRole  # noqa: PLC0415
    from groupbuy.catalog.models import Category, Deal, Product, Sku  # noqa: PLC0415
    from groupbuy.db import db  # noqa: PLC0415
    from groupbuy.groups.models import Group  # noqa: PLC0415
    from groupbuy.leaders.models import Leader  # noqa: PLC0415
    from groupbuy.orders.models import Order, OrderLine  # noqa: PLC0415

    stamp = {"created_at": START, "updated_at": START}
    shoppers = orders_per_leader
    with app.app_context(), db.engine.begin() as conn:
        users = [
            {"id": i + 1, "phone": f"139{i:08d}", "nickname": f"邻居{i}", "status": "active", "tier": "seed"}
            | {"login_failures": 0}
            | stamp
            for i in range(2 + shoppers)
        ]
        _insert(conn, User.__table__, users)
        roles = [{"user_id": u["id"], "role": "shopper", "granted_at": START} for u in users]
        roles += [{"user_id": i, "role": "leader", "granted_at": START} for i in (1, 2)]
        _insert(conn, UserRole.__table__, roles)
        _insert(
            conn,
            Leader.__table__,
            [
                {"id": i, "user_id": i, "display_name": f"团长{i}", "real_name": "王", "phone": f"137{i:08d}"}
                | {"pickup_point_name": f"幸福小区{i}号自提点", "address": "幸福路", "lat": 30.0, "lng": 120.0}
                | {"opening_hours": "8-20", "status": "active", "commission_rate_bp": 1000, "offers_delivery": False}
                | {"delivery_fee_fen": 0, "identity_verified": True, "credit_score": 0, "active_since": START}
                | stamp
                for i in (1, 2)
            ],
        )
        _insert(conn, Category.__table__, [{"id": 1, "name": "水果", "sort_order": 0} | stamp])
        deals = range(1, DEALS + 1)
        _insert(
            conn,
            Product.__table__,
            [
                {"id": d, "category_id": 1, "name": f"赣南脐橙{d}", "description": "产地直发，脆甜多汁。", "images": []}
                | {"supplier": "果园", "listing_key": f"p{d}", "status": "active"}
                | stamp
                for d in deals
            ],
        )
        _insert(
            conn,
            Sku.__table__,
            [{"id": d, "product_id": d, "spec": "5 斤", "list_price_fen": 2990, "stock": 0} | stamp for d in deals],
        )
        _insert(
            conn,
            Deal.__table__,
            [
                {"id": d, "sku_id": d, "title": f"赣南脐橙{d} 5 斤", "group_price_fen": 1990, "starts_at": START}
                | {"cutoff_at": NOW - timedelta(hours=2), "pickup_date": PICKUP, "limit_per_user": 99}
                | {"status": "active", "min_group_quantity": 1, "stock_allocated": 10**6, "stock_available": 10**5}
                | {"created_at": START}
                for d in deals
            ],
        )
        _insert(
            conn,
            Group.__table__,
            [
                {"id": (leader - 1) * DEALS + d, "leader_id": leader, "deal_id": d, "status": "succeeded"}
                | {"opened_by": "order", "units_reserved": 0, "units_paid": 0, "created_at": START, "closed_at": NOW}
                for leader in (1, 2)
                for d in deals
            ],
        )
        order_id = 0
        for leader, pickup in ((1, PICKUP), (2, PICKUP), (1, PICKUP - timedelta(days=1))):
            orders, lines = [], []
            for k in range(orders_per_leader):
                order_id += 1
                paid = k % 20 != 19
                n = 1 + k % 3
                refunded = paid and k % 10 == 3  # one unit of its first line refunded (a shortage)
                items = [(1 + (k + j) % DEALS, 1 + (k + j) % 2) for j in range(n)]
                total = sum(q for _, q in items) * 1990
                orders.append(
                    {"id": order_id, "order_no": f"GB{order_id:018d}", "user_id": 3 + k, "leader_id": leader}
                    | {"status": ("confirmed" if k % 2 else "stocking") if paid else "pending_payment"}
                    | {"fulfilment": "pickup", "items_fen": total - (1990 if refunded else 0), "delivery_fee_fen": 0}
                    | {"discount_fen": 0, "payable_fen": total - (1990 if refunded else 0)}
                    | {"paid_fen": total if paid else 0, "refund_due_fen": 1990 if refunded else 0, "refunded_fen": 0}
                    | {"pickup_date": pickup, "pickup_code": f"{(order_id * 7919) % 10**8:08d}" if paid else None}
                    | {"pay_before": START + timedelta(minutes=15), "paid_at": START if paid else None}
                    | stamp
                )
                for j, (deal, quantity) in enumerate(items):
                    cut = 1 if refunded and j == 0 else 0
                    lines.append(
                        {"order_id": order_id, "deal_id": deal, "group_id": (leader - 1) * DEALS + deal}
                        | {"product_name": f"赣南脐橙{deal}", "spec": "5 斤", "unit_price_fen": 1990}
                        | {"quantity": quantity, "line_total_fen": 1990 * quantity, "pickup_date": pickup}
                        | {
                            "status": "active" if cut < quantity else "refunding",
                            "refund_reason": "shortage" if cut else None,
                        }
                        | {"refunded_quantity": cut, "refunded_fen": 1990 * cut}
                    )
            _insert(conn, Order.__table__, orders)
            _insert(conn, OrderLine.__table__, lines)
        for table in ("users", "leaders", "categories", "products", "skus", "deals", "groups", "orders", "order_lines"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - our names
            )
        conn.exec_driver_sql("ANALYZE")


def units_in_sql(app: Any) -> int:
    """Active units of leader 1's paid live orders on PICKUP, summed by the database."""
    from sqlalchemy import func, select  # noqa: PLC0415

    from groupbuy.db import db  # noqa: PLC0415
    from groupbuy.orders.enums import LineStatus  # noqa: PLC0415
    from groupbuy.orders.models import Order, OrderLine  # noqa: PLC0415
    from groupbuy.orders.states import PICK_LIST_STATES  # noqa: PLC0415

    with app.app_context():
        units = db.session.scalar(
            select(func.sum(OrderLine.quantity - OrderLine.refunded_quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.leader_id == 1,
                Order.pickup_date == PICKUP,
                Order.status.in_(sorted(PICK_LIST_STATES)),
                OrderLine.status == LineStatus.ACTIVE,
            )
        )
        db.session.remove()
        return int(units or 0)


def measure(client: Any, headers: dict[str, str], accept: str, requests: int) -> tuple[list[float], list[float], Any]:
    """Wall-clock and this process's CPU milliseconds per request (the CPU figure leaves out time spent waiting
    for a core on a busy machine, and the database server's own work)."""
    url = f"/api/v1/leader/pick-list?pickup_date={PICKUP.isoformat()}"
    headers = {**headers, "Accept": accept}
    for _ in range(10):
        client.get(url, headers=headers)
    walls, cpus, response = [], [], None
    for _ in range(requests):
        began, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        walls.append((time.perf_counter() - began) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.status_code
    return walls, cpus, response


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=os.environ.get("GROUPBUY_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() once the app is warm (as a gunicorn post_fork hook would)"
    )
    args = parser.parse_args()
    base = args.url.rstrip("/")

    import flask_migrate  # noqa: PLC0415

    from groupbuy import clock, create_app  # noqa: PLC0415
    from groupbuy.accounts.models import User  # noqa: PLC0415
    from groupbuy.accounts.service.sessions import issue_token  # noqa: PLC0415
    from groupbuy.db import db  # noqa: PLC0415

    _psql(base, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _psql(base, f"CREATE DATABASE {DATABASE}")
    try:
        config = {"DATABASE_URL": f"{base}/{DATABASE}", "LOG_LEVEL": "WARNING", "METRICS_DISABLED": True}
        app = create_app(config | {"PICK_LIST_CACHE_ENTRIES": 0})
        warm_app = create_app(config)
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
        began = time.perf_counter()
        seed(app, orders_per_leader=args.orders)
        print(f"seeded 3 x {args.orders:,} orders in {time.perf_counter() - began:.1f} s")
        with app.app_context(), clock.frozen(NOW):
            headers = {"Authorization": f"Bearer {issue_token(db.session.get_one(User, 1), NOW).token}"}
        expected = units_in_sql(app)
        clients = {"cold": app.test_client(), "warm": warm_app.test_client()}
        if args.gc_freeze:
            for client in clients.values():
                client.get("/healthz")
            gc.freeze()  # the app's own objects leave the collector's generations: full collections get cheap
        results, loads = {}, {}
        with clock.frozen(NOW):
            for mode, client in clients.items():
                for fmt, accept in (("json", "application/json"), ("csv", "text/csv")):
                    results[mode, fmt] = measure(client, headers, accept, args.requests)
                    loads[mode, fmt] = os.getloadavg()[0]
        assert results["cold", "json"][2].get_data() == results["warm", "json"][2].get_data()
        assert results["cold", "csv"][2].get_data() == results["warm", "csv"][2].get_data()
        body = results["cold", "json"][2].get_json()
        assert body["total_units"] == expected == sum(d["units"] for d in body["deals"]), (
            body["total_units"],
            expected,
        )
        print(
            f"leader 1 on {PICKUP}: {body['total_orders']:,} orders, {expected:,} active units (= order lines in SQL)"
        )
        worst: dict[str, float] = {}
        print(f"{os.cpu_count()} cores; load = 1-minute load average when the line's requests ended")
        for (mode, fmt), (walls, cpus, response) in results.items():
            p50, p99 = statistics.median(walls), _pct(walls, 99)
            worst[mode] = max(worst.get(mode, 0.0), p99)
            size = len(response.get_data()) / 1024
            print(
                f"  {mode} {fmt:4}  p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {max(walls):6.1f} ms   "
                f"(cpu p50 {statistics.median(cpus):5.1f} ms, p99 {_pct(cpus, 99):5.1f} ms)   {size:,.0f} KiB   "
                f"load {loads[mode, fmt]:.1f}"
            )
        for mode, p99 in worst.items():
            print(f"target p99 < {TARGET_P99_MS:.0f} ms ({mode}):", "met" if p99 < TARGET_P99_MS else "MISSED")
        for each in (app, warm_app):
            with each.app_context():
                db.engine.dispose()
    finally:
        if not args.keep:
            _psql(base, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
