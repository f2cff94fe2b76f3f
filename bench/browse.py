"""Read throughput: groupbuy's deal page and deal list vs a bare primary-key read, same gunicorn, load from wrk.

    .venv/bin/python bench/browse.py [--duration 10] [--rounds 3] [--connections 32] [--threads 2] [--workers 4]
        [--env GROUPBUY_READ_CACHE_SECONDS=0] [--env GROUPBUY_REDIS_URL=redis://127.0.0.1:6379/5] [--no-revalidate]

Needs PostgreSQL on 127.0.0.1 (creates and drops the databases gb_bench_browse and gb_bench_browse_ceiling) and
wrk (Debian package `wrk`: `apt-get install -y wrk`). Seeds groupbuy as bench/checkout.py does (10 leaders, 40
live deals in one category, --shoppers shoppers, each with a chosen leader and a bearer token), then opens every
leader's group for every deal (a few units reserved), so a signed-in shopper's deal page and list carry their
leader's group progress. Serves groupbuy and bench/ceiling_app.py each under gunicorn (sync x --workers); every
`--env KEY=VALUE` goes to groupbuy's environment (to compare its read cache on and off, or with Redis). wrk
(bench/browse.lua, --threads x --connections) drives, in interleaved rounds (every path once a round, each
round starting one path later than the one before):

    ceiling GET /products/<id>          one ORM read by primary key, random of 10,000 (the reference)
    anonymous deal page                 GET /api/v1/deals/<id>, random of the 40 deals
    anonymous first list page           GET /api/v1/deals?page=1&page_size=20
    anonymous first list page, category the same with &category=<id> (each seeded category)
    personalised deal page              the deal page with a random shopper's Authorization: Bearer token
    personalised first list page        the list with a random shopper's token
    anonymous revalidation              the deal page with If-None-Match: the ETag fetched just before the run
                                        (a 304 counts as success; the 304 count is printed; --no-revalidate).
                                        The ETag is the body's hash: a page whose body changes every second
                                        (seconds_to_cutoff) answers 304 only within that second

Prints the command line, then per run: successful requests/s, p50 and p99 (wrk's latency histogram), non-2xx
and 5xx counts, socket errors, wrk's CPU share (its CPU seconds over its wall seconds, from wait4) and the load
average before and after. Then the medians over the rounds with each path's ratio to the primary-key read
(each round against that round's reference) and the targets of issue 15: anonymous page and first list page
≥ 100 % of the primary-key read, personalised ≥ 70 %.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import checkout  # noqa: E402  (its seed, its gunicorn, its database helpers)
from bench.wrkrun import Stats, Wrk, add_env_option, command, env_pairs, read_stats, require_wrk  # noqa: E402

LUA = ROOT / "bench" / "browse.lua"
DATABASE = "gb_bench_browse"
CEILING_DATABASE = "gb_bench_browse_ceiling"
GB_PORT = 18021
CEILING_PORT = 18022
REFERENCE = "ceiling GET /products/<id>"
CATEGORIES: list[int] = []  # the seeded categories (open_groups reads them)


@dataclass
class Route:
    """One measured read: where it goes, the Lua mode and arguments, its figures per round."""

    name: str
    port: int
    mode: str
    tokens: str  # token file or "-"
    ids: str  # comma-separated ids, "-", or (revalidate) the ETag file
    target: float | None  # share of the reference's req/s to reach
    rounds: list[Stats] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)  # wrk's CPU share per round


def open_groups(url: str) -> int:
    """Every leader's group for every deal, open, 3 units reserved and 1 paid; the number opened."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        opened = conn.execute(
            sa.text(
                "INSERT INTO groups (leader_id, deal_id, status, opened_by, units_reserved, units_paid, created_at)"
                " SELECT l.id, d.id, 'open', 'leader', 3, 1, now() FROM leaders l CROSS JOIN deals d"
            )
        ).rowcount
        categories = conn.execute(sa.text("SELECT id FROM categories ORDER BY id")).scalars().all()
    engine.dispose()
    CATEGORIES[:] = categories
    return opened


def fetch_etags(deals: list[int], path: Path) -> str:
    """Each deal page's current ETag (anonymous), as lines "deal etag" for the revalidation run."""
    lines = []
    for deal in deals:
        with urllib.request.urlopen(f"http://127.0.0.1:{GB_PORT}/api/v1/deals/{deal}", timeout=10) as answer:
            etag = answer.headers.get("ETag")
        if etag:
            lines.append(f"{deal} {etag}")
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def check_personal(token: str, deal: int) -> str:
    """What a signed-in shopper's deal page says about their leader's group (so the run reads what it claims)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{GB_PORT}/api/v1/deals/{deal}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        group = json.load(answer).get("group")
    return f"group {group}" if group else "no group in the answer"


def run(route: Route, args: argparse.Namespace, duration: float, work: Path, echo: bool = True) -> tuple[Stats, Wrk]:
    wrk = Wrk(
        command(
            f"http://127.0.0.1:{route.port}",
            LUA,
            threads=args.threads,
            connections=args.connections,
            duration=duration,
            args=[route.mode, route.tokens, route.ids, str(checkout.CEILING_PRODUCTS)],
        ),
        work / f"{route.mode}.out",
        echo=echo,
    ).start()
    text = wrk.wait()
    return read_stats(text, not_modified_ok=route.mode == "revalidate"), wrk


def describe(stats: Stats, share: float) -> str:
    revalidated = f" (304: {stats.statuses[304]} of {sum(stats.statuses.values())})" if stats.not_modified_ok else ""
    return (
        f"{stats.rate:8.1f} ok/s{revalidated}  p50 {stats.p50_ms:6.1f} ms  p99 {stats.p99_ms:6.1f} ms"
        f"  non-2xx {stats.not_ok} (5xx {stats.count(500, 600)})  socket errors {stats.socket_errors}"
        f"  wrk CPU {share:5.1%} of a core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers, each server")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each server's runs")
    parser.add_argument("--shoppers", type=int, default=2000, help="signed-in shoppers (personalised reads)")
    add_env_option(parser)
    parser.add_argument("--no-revalidate", action="store_true", help="skip the If-None-Match run")
    args = parser.parse_args()
    require_wrk()
    if args.connections % args.threads:
        sys.exit("--connections must be a multiple of --threads (wrk gives each thread connections / threads)")
    extra_env = env_pairs(args.env)
    print("command: " + shlex.join([".venv/bin/python", "bench/browse.py", *sys.argv[1:]]))
    print(f"settings: {vars(args)}")

    print(f"seeding groupbuy ({args.shoppers} shoppers, 40 deals, 10 leaders, a group per leader and deal)...")
    gb_url = checkout._fresh_database(DATABASE)
    checkout.seed_groupbuy(gb_url, shoppers=args.shoppers, deals=40)
    groups = open_groups(gb_url)
    print(f"  {groups} groups opened; categories {CATEGORIES}", flush=True)
    ceiling_url = checkout.fresh_ceiling(CEILING_DATABASE)
    gb_env = {
        "GROUPBUY_DATABASE_URL": gb_url,
        "GROUPBUY_LOG_LEVEL": "WARNING",
        "GROUPBUY_DB_POOL_SIZE": "5",
        **extra_env,
    }
    if extra_env:
        print(f"groupbuy's extra environment: {extra_env}")
    with (
        tempfile.TemporaryDirectory() as tmp,
        checkout.gunicorn("ceiling_app:app", CEILING_PORT, args.workers, {"DB_URL": ceiling_url}, checkout.CEILING_DIR),
        checkout.gunicorn("wsgi:app", GB_PORT, args.workers, gb_env, ROOT),
    ):
        work = Path(tmp)
        token_file = work / "tokens.txt"
        token_file.write_text("".join(token + "\n" for token in checkout.TOKENS))
        tokens = str(token_file)
        deals = ",".join(map(str, checkout.DEALS))
        routes = [
            Route(REFERENCE, CEILING_PORT, "pk", "-", "-", None),
            Route("anonymous deal page", GB_PORT, "detail", "-", deals, 1.0),
            Route("anonymous first list page", GB_PORT, "list", "-", "-", 1.0),
        ]
        if CATEGORIES:
            categories = ",".join(map(str, CATEGORIES))
            routes.append(Route("anonymous first list page, category", GB_PORT, "list", "-", categories, 1.0))
        routes += [
            Route("personalised deal page", GB_PORT, "detail", tokens, deals, 0.7),
            Route("personalised first list page", GB_PORT, "list", tokens, "-", 0.7),
        ]
        revalidate = None
        if not args.no_revalidate:
            revalidate = Route("anonymous revalidation (If-None-Match)", GB_PORT, "revalidate", "-", "", None)
            routes.append(revalidate)
        print(f"  a personalised deal page says: {check_personal(checkout.TOKENS[0], checkout.DEALS[0])}")
        # unmeasured: workers import, pools fill, statements get prepared
        for route in routes[:3]:
            run(route, args, args.warmup, work, echo=False)
        for round_no in range(1, args.rounds + 1):
            load_before = os.getloadavg()
            print(f"round {round_no}: load average {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}")
            shift = (round_no - 1) % len(routes)  # each round starts one path later: none always follows another
            for route in routes[shift:] + routes[:shift]:
                if route is revalidate:
                    route.ids = fetch_etags(checkout.DEALS, work / "etags.txt")
                print(f"round {round_no}: {route.name} ...", flush=True)
                before = os.getloadavg()[0]
                stats, wrk = run(route, args, args.duration, work)
                after = os.getloadavg()[0]
                route.rounds.append(stats)
                route.shares.append(wrk.cpu_share)
                print(f"  {describe(stats, wrk.cpu_share)}  load average {before:.1f} -> {after:.1f}", flush=True)
            load_after = os.getloadavg()
            print(
                f"round {round_no} done: load average {load_before[0]:.1f} -> {load_after[0]:.1f}"
                f" (1, 5, 15 min: {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f})"
            )

    reference = routes[0]
    print(
        f"\n{args.threads} wrk threads x {args.connections} connections, {args.rounds} rounds x {args.duration:g} s,"
        f" gunicorn sync x{args.workers}, PostgreSQL" + (f", groupbuy with {extra_env}" if extra_env else "")
    )
    print("\n  medians over the rounds (ratio: each round against that round's primary-key read)")
    for route in routes:
        ratio = statistics.median(r.rate / c.rate for r, c in zip(route.rounds, reference.rounds, strict=True))
        verdict = ""
        if route.target is not None:
            verdict = f" (target ≥ {route.target:.0%}: {'met' if ratio >= route.target else 'NOT met'})"
        print(
            f"    {route.name:40} {statistics.median(r.rate for r in route.rounds):8.1f} ok/s"
            f"  p50 {statistics.median(r.p50_ms for r in route.rounds):6.1f} ms"
            f"  p99 {statistics.median(r.p99_ms for r in route.rounds):6.1f} ms"
            f"  non-2xx {sum(r.not_ok for r in route.rounds)} (5xx {sum(r.count(500, 600) for r in route.rounds)})"
            f"  wrk CPU {statistics.median(route.shares):5.1%}"
            + ("" if route is reference else f"  {ratio:6.1%} of the PK read{verdict}")
        )
    if revalidate is not None:
        not_modified = sum(r.statuses[304] for r in revalidate.rounds)
        answered = sum(sum(r.statuses.values()) for r in revalidate.rounds)
        print(f"\n  revalidation: {not_modified} of {answered} answers were 304 Not Modified")
    checkout._psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    checkout._psql(f"DROP DATABASE IF EXISTS {CEILING_DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
