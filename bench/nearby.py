"""Benchmark the nearby-leaders query on SQLite and PostgreSQL with 100 000 pickup points.

Builds a fresh schema through the migrations, bulk-inserts users and leaders with SQLAlchemy Core
(uniformly spread over a disc of --spread-km around --centre, a few suspended), then times the very
service function GET /api/v1/leaders calls (`find_nearby_leaders`) for random points and prints p50/p99
and how many rows the bounding box let through.

    .venv/bin/python bench/nearby.py                       # both backends
    .venv/bin/python bench/nearby.py --skip-pg --leaders 20000

The PostgreSQL database named in --pg-url is created and dropped by this script (its name must contain
"bench", so a real database is never dropped by mistake).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate
from flask import Flask
from sqlalchemy import create_engine, event, insert, make_url, text

import groupbuy.models  # noqa: F401 - every table on the metadata
from groupbuy import create_app
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service import find_nearby_leaders
from groupbuy.leaders.service.nearby import EARTH_RADIUS_M

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/gb_bench_nearby"
BATCH = 10_000
TARGET_P99_MS = 20.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaders", type=int, default=100_000, help="pickup points to create")
    parser.add_argument("--queries", type=int, default=500, help="timed queries per backend")
    parser.add_argument("--warmup", type=int, default=50, help="untimed queries first")
    parser.add_argument("--radius-m", type=int, default=3000)
    parser.add_argument("--spread-km", type=float, default=50.0, help="radius of the disc the points fill")
    parser.add_argument("--centre", default="40.0,116.4", help="lat,lng (default: Beijing)")
    parser.add_argument("--suspended-share", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    return parser.parse_args(argv)


def random_point(rng: random.Random, lat: float, lng: float, radius_m: float) -> tuple[float, float]:
    """A point uniformly distributed over a disc (small-area approximation)."""
    distance = radius_m * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = math.degrees(distance * math.cos(bearing) / EARTH_RADIUS_M)
    dlng = math.degrees(distance * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lng + dlng


def rows(args: argparse.Namespace, centre: tuple[float, float]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    for i in range(1, args.leaders + 1):
        lat, lng = random_point(rng, *centre, args.spread_km * 1000)
        user = {
            "id": i,
            "nickname": f"bench{i}",
            "status": "active",
            "tier": "seed",
            "login_failures": 0,
            "created_at": now,
            "updated_at": now,
        }
        leader = {
            "id": i,
            "user_id": i,
            "display_name": f"团长{i}",
            "real_name": f"王{i}",
            "phone": "",
            "pickup_point_name": f"自提点{i}",
            "address": f"幸福路{i}号",
            "lat": lat,
            "lng": lng,
            "opening_hours": "08:00-20:00",
            "status": "suspended" if rng.random() < args.suspended_share else "active",
            "commission_rate_bp": 1000,
            "offers_delivery": False,
            "delivery_fee_fen": 0,
            "identity_verified": True,
            "rating_bp": None,
            "credit_score": rng.randint(0, 100),
            "active_since": now,
            "created_at": now,
            "updated_at": now,
        }
        yield user, leader


def load(args: argparse.Namespace, centre: tuple[float, float]) -> None:
    """Bulk insert with Core executemany, BATCH rows per statement group."""
    users: list[dict[str, Any]] = []
    leaders: list[dict[str, Any]] = []

    def flush() -> None:
        with db.engine.begin() as conn:
            conn.execute(insert(User.__table__), users)
            conn.execute(insert(Leader.__table__), leaders)
        users.clear()
        leaders.clear()

    for user, leader in rows(args, centre):
        users.append(user)
        leaders.append(leader)
        if len(users) >= BATCH:
            flush()
    if users:
        flush()


def analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE leaders"))  # visibility map: lets the planner use index-only scans
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def plan(centre: tuple[float, float], radius_m: int) -> str:
    """The database's plan for the bounding-box query, as one line."""
    captured: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not captured and "FROM leaders" in statement and "leaders.lat BETWEEN" in statement:
            captured.append(statement)
            prefix = "EXPLAIN " if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
            cursor.execute(prefix + statement, parameters)
            captured.append(" | ".join(str(row[-1]).strip() for row in cursor.fetchall()))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        find_nearby_leaders(lat=centre[0], lng=centre[1], radius_m=radius_m, page=1, page_size=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        db.session.remove()
    return captured[1] if len(captured) > 1 else "(not captured)"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def run_queries(args: argparse.Namespace, centre: tuple[float, float]) -> dict[str, Any]:
    rng = random.Random(args.seed + 1)
    timings: list[float] = []
    candidates: list[int] = []
    results: list[int] = []
    for i in range(args.warmup + args.queries):
        lat, lng = random_point(rng, *centre, args.spread_km * 1000)
        started = time.perf_counter()
        page = find_nearby_leaders(lat=lat, lng=lng, radius_m=args.radius_m, page=1, page_size=20)
        elapsed_ms = (time.perf_counter() - started) * 1000
        db.session.remove()  # a request ends here: no identity map carried to the next query
        if i >= args.warmup:
            timings.append(elapsed_ms)
            candidates.append(page.candidates)
            results.append(page.total)
    return {"timings": timings, "candidates": candidates, "results": results}


def bench(name: str, url: str, args: argparse.Namespace, centre: tuple[float, float]) -> bool:
    app: Flask = create_app({"DATABASE_URL": url, "METRICS_DISABLED": True, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        started = time.perf_counter()
        load(args, centre)
        analyze()
        built_s = time.perf_counter() - started
        query_plan = plan(centre, args.radius_m)
        figures = run_queries(args, centre)
        db.session.remove()
        db.engine.dispose()
    timings, cands, found = figures["timings"], figures["candidates"], figures["results"]
    p99 = percentile(timings, 0.99)
    print(f"\n== {name}: {args.leaders:,} leaders in a {args.spread_km:g} km disc, built in {built_s:.1f} s")
    print(f"   plan: {query_plan}")
    print(
        f"   {len(timings)} queries, radius {args.radius_m} m: "
        f"p50 {percentile(timings, 0.5):.2f} ms, p90 {percentile(timings, 0.9):.2f} ms, "
        f"p99 {p99:.2f} ms, max {max(timings):.2f} ms"
    )
    print(
        f"   bounding-box candidates: p50 {percentile(cands, 0.5):.0f}, p99 {percentile(cands, 0.99):.0f}, "
        f"max {max(cands)}; in radius: mean {statistics.mean(found):.0f}, max {max(found)}"
    )
    print(f"   target p99 < {TARGET_P99_MS:g} ms: {'met' if p99 < TARGET_P99_MS else 'MISSED'}")
    return p99 < TARGET_P99_MS


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """Create the benchmark database, yield its URL, drop it afterwards."""
    target = make_url(url)
    if not target.database or "bench" not in target.database:
        raise SystemExit(f"refusing to create/drop {target.database!r}: the name must contain 'bench'")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = target.database
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield target.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lat_text, lng_text = args.centre.split(",")
    centre = (float(lat_text), float(lng_text))
    ok = True
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="gb_bench_nearby_") as folder:
            ok &= bench("SQLite", f"sqlite:///{Path(folder) / 'nearby.db'}", args, centre)
    if not args.skip_pg:
        with scratch_postgres(args.pg_url) as url:
            ok &= bench("PostgreSQL", url, args, centre)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
