"""The 10 a.m. flash sale: a deal with 500 units opens at T and 2,000 shoppers rush it, load driven by wrk.

    .venv/bin/python bench/flash_sale.py [--shoppers 2000] [--units 500] [--clients 64] [--readers 64]
        [--env GROUPBUY_REDIS_URL=redis://127.0.0.1:6379/5]

Needs PostgreSQL on 127.0.0.1 (creates and drops the database gb_bench_flash_sale) and wrk (Debian package
`wrk`: `apt-get install -y wrk`). Seeds like bench/checkout.py (its seed and its gunicorn, sync x4), then runs
the sale twice on two fresh deals: alone, and while `--readers` more connections read the deal list and the
flash deal's page. Each of the `--clients` connections is one wrk thread serving its shoppers one after
another (bench/flash_sale_buy.lua): cart add, then order from the cart, every request with the shopper's own
token and its own Idempotency-Key. Prints the time from T until the last unit is sold, orders/s, p50/p99 of the
orders that succeed, the 409 deal_sold_out count, 5xx (must be 0), the units sold (checked in SQL: must be
exactly --units) and each wrk process's CPU time over its wall time. Targets (issue 15): sold out within 5 s of
opening, p99 < 500 ms for the orders that succeed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import checkout  # noqa: E402  (its seed, its gunicorn, its database helpers)
from bench.wrkrun import Wrk, add_env_option, env_pairs, field_lines, fields, percentile, require_wrk  # noqa: E402

DATABASE = "gb_bench_flash_sale"
PORT = 18011
BUY_LUA = ROOT / "bench" / "flash_sale_buy.lua"
BROWSE_LUA = ROOT / "bench" / "flash_sale_browse.lua"


def parse_buyers(text: str) -> tuple[dict[str, int], list[float], float, float]:
    counts: dict[str, int] = {}
    latencies: list[float] = []
    last_ok = 0.0
    first_sold_out = 0.0
    for thread in field_lines(text, "FS-THREAD"):
        last_ok = max(last_ok, float(thread["last_ok"]))
        sold = float(thread["first_sold_out"])
        if sold and (not first_sold_out or sold < first_sold_out):
            first_sold_out = sold
        for pair in filter(None, thread["counts"].split(",")):
            key, value = pair.split("=")
            counts[key] = counts.get(key, 0) + int(value)
        latencies.extend(float(v) for v in filter(None, thread["lat"].split(",")))
    return counts, latencies, last_ok, first_sold_out


def run_sale(
    engine: sa.Engine, *, run: int, deal_id: int, tokens: list[str], args: argparse.Namespace, work: Path
) -> bool:
    label = "alone" if run == 1 else f"with {args.readers} readers of the deal list and page"
    print(f"\nrun {run}: the flash sale {label}", flush=True)
    token_file = work / f"tokens{run}.txt"
    token_file.write_text("\n".join(tokens) + "\n")
    finished = work / f"finished{run}.txt"
    finished.write_text("")
    opens_at = datetime.now(UTC) + timedelta(seconds=3)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE deals SET starts_at = :t WHERE id = :d"), {"t": opens_at, "d": deal_id})
    url = f"http://127.0.0.1:{PORT}"
    readers = None
    if run == 2:  # readers first, so the sale opens into a server already busy with them
        readers = Wrk(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(args.readers),
                "-d",
                f"{args.timeout}s",
                "--timeout",
                "30s",
                "-s",
                str(BROWSE_LUA),
                url,
                "--",
                str(deal_id),
            ],
            work / f"browse{run}.out",
        ).start()
    load_before = os.getloadavg()
    time.sleep(max(0.0, (opens_at - datetime.now(UTC)).total_seconds()))
    buyers = Wrk(
        [
            "wrk",
            "-t",
            str(args.clients),
            "-c",
            str(args.clients),
            "-d",
            f"{args.timeout}s",
            "--timeout",
            "30s",
            "-s",
            str(BUY_LUA),
            url,
            "--",
            str(token_file),
            str(deal_id),
            str(args.clients),
            str(run),
            str(finished),
        ],
        work / f"buy{run}.out",
    ).start()
    deadline = time.monotonic() + args.timeout
    done_threads, last_change = 0, time.monotonic()
    while time.monotonic() < deadline and buyers.running():
        now_done = len(finished.read_text().split())
        if now_done != done_threads:
            done_threads, last_change = now_done, time.monotonic()
        if done_threads >= args.clients:
            break
        if done_threads and time.monotonic() - last_change > args.stall:  # a connection waits on an answer
            break
        time.sleep(0.1)
    active = last_change - buyers.started  # until the last thread that finished did
    text = buyers.stop()
    browse_text = readers.stop() if readers else ""
    load_after = os.getloadavg()
    counts, latencies, last_ok, first_sold_out = parse_buyers(text)
    if not counts:
        print(text)
        return False
    with engine.connect() as conn:
        units, orders, last_order = conn.execute(
            sa.text(
                "SELECT coalesce(sum(l.quantity), 0), count(DISTINCT l.order_id), max(o.created_at)"
                " FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.deal_id = :d"
            ),
            {"d": deal_id},
        ).one()
        allocated, available = conn.execute(
            sa.text("SELECT stock_allocated, stock_available FROM deals WHERE id = :d"), {"d": deal_id}
        ).one()
    t0 = opens_at.timestamp()
    sold_out_s = (last_order.timestamp() - t0) if last_order else float("nan")
    server_errors = sum(v for k, v in counts.items() if k.endswith("_5xx"))
    sold_out_409 = counts.get("add_sold_out", 0) + counts.get("order_sold_out", 0)
    other = {k: v for k, v in sorted(counts.items()) if "_other_" in k}
    print(f"  load average {load_before[0]:.1f} -> {load_after[0]:.1f}")
    print(f"  shoppers served: {counts.get('add_ok', 0)} cart adds ok, {sum(counts.values())} requests counted")
    print(
        f"  sold out {sold_out_s:.2f} s after opening (last order's created_at; the client read it at"
        f" {last_ok - t0:.2f} s, first 409 deal_sold_out at {first_sold_out - t0:.2f} s)"
    )
    print(f"  {orders} orders in that time: {orders / sold_out_s:.1f} orders/s")
    print(
        f"  successful orders: {len(latencies)}, p50 {percentile(latencies, 50):.1f} ms,"
        f" p99 {percentile(latencies, 99):.1f} ms (target p99 < 500 ms)"
    )
    print(
        f"  409 deal_sold_out: {sold_out_409} (at cart add {counts.get('add_sold_out', 0)}, at order"
        f" {counts.get('order_sold_out', 0)}); other 4xx: {other or 'none'}"
    )
    print(f"  5xx: {server_errors} (must be 0)")
    print(
        f"  units sold (SQL, order lines): {units}; stock {allocated - available} of {allocated} taken (must be"
        f" exactly {args.units})"
    )
    wrk_count = " ".join(f"{k}={v}" for k, v in fields(text, "FS-WRK").items())
    print(f"  buyers, wrk's own count: {wrk_count} (socket errors are retried, same key)")
    print(
        f"  buyers: {buyers.share}; over the {active:.1f} s until the last thread finished: {buyers.cpu / active:.1%}"
    )
    if done_threads < args.clients:
        print("  wrk said: " + " | ".join(line for line in text.splitlines() if not line.startswith("FS-"))[:1500])
        print(
            f"  {args.clients - done_threads} of {args.clients} buyer connections had not finished {args.stall} s after"
            f" the last one that did (stopped): {2 * args.shoppers - sum(counts.values())} requests left"
        )
    ok = server_errors == 0 and units == args.units and allocated - available == args.units
    if readers:
        browse = {k: int(v) for k, v in fields(browse_text, "FS-BROWSE").items()}
        if browse:
            print(
                f"  readers: {browse['requests'] / (browse['duration_us'] / 1e6):.1f} req/s over their"
                f" {browse['duration_us'] / 1e6:.1f} s, p50 {browse['p50_us'] / 1000:.1f} ms,"
                f" p99 {browse['p99_us'] / 1000:.1f} ms, non-2xx {browse['non2xx']},"
                f" socket errors {browse['connect'] + browse['read'] + browse['write'] + browse['timeout']}"
            )
            ok = ok and browse["non2xx"] == 0
        print(f"  readers: {readers.share}")
    print(f"  checks (0 5xx, exactly {args.units} units sold): {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=2000, help="distinct shoppers per run")
    parser.add_argument("--units", type=int, default=500, help="units of the flash deal")
    parser.add_argument("--clients", type=int, default=64, help="buyer connections (one wrk thread each)")
    parser.add_argument("--readers", type=int, default=64, help="reader connections in the second run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--timeout", type=int, default=120, help="longest a run may take, seconds")
    parser.add_argument("--stall", type=int, default=10, help="stop when no further buyer thread finished for so long")
    parser.add_argument("--seed", type=int, default=15, help="seed for the order of the shoppers")
    add_env_option(parser)
    args = parser.parse_args()
    extra_env = env_pairs(args.env)
    require_wrk()
    print("command: " + " ".join([".venv/bin/python", "bench/flash_sale.py", *sys.argv[1:]]))
    print(f"settings: {vars(args)}")
    print(f"seeding ({2 * args.shoppers} shoppers, 40 deals, 10 leaders)...", flush=True)
    url = checkout._fresh_database(DATABASE)
    checkout.seed_groupbuy(url, shoppers=2 * args.shoppers, deals=40)
    tokens = list(checkout.TOKENS)
    random.Random(args.seed).shuffle(tokens)
    flash = checkout.DEALS[:2]
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # two flash deals, not open yet
        conn.execute(
            sa.text(
                "UPDATE deals SET stock_allocated = :u, stock_available = :u, limit_per_user = 1,"
                " starts_at = now() + interval '1 hour' WHERE id = ANY(:ids)"
            ),
            {"u": args.units, "ids": flash},
        )
    env = {"GROUPBUY_DATABASE_URL": url, "GROUPBUY_LOG_LEVEL": "WARNING", "GROUPBUY_DB_POOL_SIZE": "5", **extra_env}
    results = []
    with tempfile.TemporaryDirectory() as tmp, checkout.gunicorn("wsgi:app", PORT, args.workers, env, ROOT):
        work = Path(tmp)
        warm = Wrk(  # unmeasured: every worker imports, fills its pool, prepares its statements
            [
                "wrk",
                "-t",
                "2",
                "-c",
                "16",
                "-d",
                "3s",
                "-s",
                str(BROWSE_LUA),
                f"http://127.0.0.1:{PORT}",
                "--",
                str(checkout.DEALS[2]),
            ],
            work / "warm.out",
        ).start()
        time.sleep(3.5)
        warm.stop()
        for run, deal_id in enumerate(flash, 1):
            part = tokens[(run - 1) * args.shoppers : run * args.shoppers]
            results.append(run_sale(engine, run=run, deal_id=deal_id, tokens=part, args=args, work=work))
    engine.dispose()
    checkout._psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
