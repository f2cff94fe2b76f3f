"""Checkout and cart-add throughput: groupbuy vs the reference ceiling app, same gunicorn, load from wrk, one run.

    .venv/bin/python bench/checkout.py [--duration 10] [--rounds 3] [--threads 2] [--connections 32] [--workers 4]
                                       [--paths ceiling,items,coupon,filled,loop,reserve,add] [--no-settle]

Needs PostgreSQL on 127.0.0.1 (creates and drops the databases gb_bench_checkout and gb_bench_ceiling) and wrk
(Debian package `wrk`: `apt-get install -y wrk`). Serves groupbuy and bench/ceiling_app.py each under gunicorn
(sync x --workers) and drives every path with wrk (bench/checkout.lua, --threads x --connections), so the load
generator costs a few percent of a core instead of one of the cores the servers need. Every groupbuy request
carries its shopper's bearer token and a fresh Idempotency-Key. The paths, run in interleaved rounds (each round
runs every path once, so drift on a shared machine hits all alike; each round starts one path later than the
one before, so no path always runs right after the same other one; before every run both databases are
vacuumed and a checkpoint taken, unmeasured, so no run pays for the one before: --no-settle skips that):

    ceiling POST /orders                one order + two lines in one ORM unit of work (the reference for orders)
    groupbuy items→order                POST /api/v1/orders with one random deal (2,000 reusable shoppers)
    groupbuy items→order + coupon       the same with the shopper's ¥1-off coupon: each shopper orders once
    groupbuy cart→order (filled cart)   POST /api/v1/orders from a cart holding one line: each shopper once
    groupbuy cart add + order (loop)    cart add, then order from the cart, one connection per wrk thread
                                        (-t = -c = --connections) so a shopper's two steps go in order; the
                                        orders are counted and timed by the script
    ceiling POST /products/<id>/reserve one conditional one-row UPDATE (the reference for cart add)
    groupbuy cart add                   POST /api/v1/cart/items, one random deal (2,000 other shoppers)

One-shot shoppers (filled carts, coupons) are split between wrk's threads; a thread that has used up its share
stops rather than send a consumed shopper again, and the bench says so ("ran out": raise --filled-carts or
--couponed). Each round prints, per path: successful requests/s, p50 and p99 (wrk's latency histogram; for the
loop the script's own clock over the successful orders), non-2xx and 5xx counts, socket errors, wrk's CPU share
(its CPU seconds over its wall seconds, from wait4) and the load average before and after. Then the medians over
the rounds and the ratios, each round against that round's reference, with the targets of issue 15: items→order
≥ 70 % of the ceiling's orders/s with p99 ≤ 1.3 × the ceiling's p99; cart add ≥ 80 % of the conditional UPDATE;
and the points of the ceiling ratio a coupon costs (target: at most 5).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.wrkrun import Stats, Wrk, command, read_stats, require_wrk  # noqa: E402

CEILING_DIR = ROOT / "bench"  # ceiling_app.py: the reference app, carried here
LUA = ROOT / "bench" / "checkout.lua"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
GB_PORT = 18001
CEILING_PORT = 18002
CEILING_PRODUCTS = 10_000  # as ceiling_app.py seeds
CEILING_MODES = ("ceiling", "reserve")  # the modes of bench/checkout.lua that go to the ceiling app
MODES = ("ceiling", "items", "coupon", "filled", "loop", "reserve", "add")  # every run, by its checkout.lua mode
TOKENS: list[str] = []  # shoppers with empty carts
FILLED: list[str] = []  # shoppers whose cart holds one line: one order each, for the filled-cart run
COUPONED: list[tuple[str, int]] = []  # shoppers holding one coupon (token, coupon id): one order each
DEALS: list[int] = []
CEILING = "ceiling POST /orders"
ITEMS = "groupbuy items→order"
ITEMS_COUPON = "groupbuy items→order + coupon"
FILLED_CART = "groupbuy cart→order (filled cart)"
ADD_THEN_ORDER = "groupbuy cart add + order (loop)"
RESERVE = "ceiling reserve (conditional UPDATE)"
CART_ADD = "groupbuy cart add"


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


def settle(urls: list[str]) -> None:
    """VACUUM ANALYZE these databases and CHECKPOINT, unmeasured: the work a run leaves PostgreSQL (autovacuum of
    the tables it filled, dirty pages) is then not done during, and charged to, the run after it. Without this the
    insert ceiling, which fills its tables fastest, slowed through a run (its PostgreSQL CPU per order tripled)."""
    for url in urls:
        name = url.rsplit("/", 1)[1]
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-qc", "VACUUM ANALYZE"], check=True)
    _psql("CHECKPOINT")


def fresh_ceiling(name: str, ceiling_dir: Path = CEILING_DIR) -> str:
    """A new database `name` holding the ceiling app's tables and products (`ceiling_app.py init`); its URL."""
    url = _fresh_database(name)
    subprocess.run(
        [sys.executable, "ceiling_app.py", "init"],
        cwd=ceiling_dir,
        check=True,
        env={**os.environ, "DB_URL": url},
        stdout=subprocess.DEVNULL,
    )
    return url


def _fresh_database(name: str) -> str:
    _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _psql(f"CREATE DATABASE {name}")
    return f"{PG}/{name}"


def seed_groupbuy(url: str, *, shoppers: int, deals: int, filled_carts: int = 0, couponed: int = 0) -> None:
    """Migrate, then 10 leaders, `deals` live deals with ample stock, logged-in shoppers (some with a cart line)."""
    import flask_migrate  # noqa: PLC0415

    from groupbuy import create_app  # noqa: PLC0415
    from groupbuy.accounts.enums import Role  # noqa: PLC0415
    from groupbuy.accounts.models import AuthToken, User  # noqa: PLC0415
    from groupbuy.accounts.service.sessions import token_digest  # noqa: PLC0415
    from groupbuy.accounts.service.users import new_user  # noqa: PLC0415
    from groupbuy.cart.models import CartItem  # noqa: PLC0415
    from groupbuy.catalog.models import Category, Deal, Product, Sku  # noqa: PLC0415
    from groupbuy.coupons.enums import CouponKind, CouponScope  # noqa: PLC0415
    from groupbuy.coupons.models import CouponTemplate, UserCoupon  # noqa: PLC0415
    from groupbuy.db import db, transaction  # noqa: PLC0415
    from groupbuy.leaders.models import Leader  # noqa: PLC0415

    app = create_app({"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "METRICS_DISABLED": True})
    now = datetime.now(UTC)
    with app.app_context():
        flask_migrate.upgrade()
        with transaction():
            leaders = []
            for i in range(10):
                user = new_user(phone=f"1370000{i:04d}", email=None, nickname=f"团长{i}", roles=[Role.LEADER], now=now)
                db.session.flush()  # the leader row needs the user id
                leader = Leader(
                    user_id=user.id,
                    display_name=f"团长{i}",
                    real_name="测试",
                    phone=user.phone,
                    pickup_point_name=f"自提点{i}",
                    address="测试路",
                    lat=30.0,
                    lng=120.0,
                    opening_hours="8-20",
                    active_since=now,
                    created_at=now,
                    updated_at=now,
                )
                db.session.add(leader)
                leaders.append(leader)
            category = Category(name="水果", sort_order=0, created_at=now, updated_at=now)
            db.session.add(category)
            db.session.flush()  # ids for the rows below
            for i in range(deals):
                product = Product(
                    category_id=category.id,
                    name=f"苹果{i}",
                    description="产地直发，脆甜多汁，坏果包赔。",
                    images=[],
                    supplier="果园",
                    listing_key=f"b{i}",
                    status="active",
                    created_at=now,
                    updated_at=now,
                )
                sku = Sku(product=product, spec="1 kg", list_price_fen=2990, stock=0, created_at=now, updated_at=now)
                deal = Deal(
                    sku=sku,
                    title=f"苹果{i} 1 kg",
                    group_price_fen=1990 + i,
                    starts_at=now - timedelta(hours=1),
                    cutoff_at=now + timedelta(days=1),
                    pickup_date=now.date() + timedelta(days=2),
                    min_group_quantity=1,
                    limit_per_user=99,
                    stock_allocated=10**8,
                    stock_available=10**8,
                    status="active",
                    created_at=now,
                )
                db.session.add(deal)
            db.session.flush()  # deal ids
            DEALS.extend(db.session.scalars(db.select(Deal.id)).all())
            # Shoppers, their tokens and (for the filled-cart run) one cart line each, in bulk.
            user_rows = [
                {
                    "phone": f"139{i:08d}",
                    "nickname": f"u{i}",
                    "current_leader_id": leaders[i % len(leaders)].id,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(shoppers + filled_carts + couponed)
            ]
            user_ids = db.session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True), user_rows
            ).all()
            tokens = [secrets.token_urlsafe(32) for _ in user_ids]
            db.session.execute(
                insert(AuthToken),
                [
                    {
                        "user_id": u,
                        "token_hash": token_digest(t),
                        "created_at": now,
                        "expires_at": now + timedelta(days=1),
                    }
                    for u, t in zip(user_ids, tokens, strict=True)
                ],
            )
            carts = [
                {"user_id": u, "deal_id": DEALS[n % len(DEALS)], "quantity": 1, "created_at": now, "updated_at": now}
                for n, u in enumerate(user_ids[shoppers : shoppers + filled_carts])
            ]
            if carts:  # an empty executemany would insert one row of NULLs
                db.session.execute(insert(CartItem), carts)
            TOKENS.extend(tokens[:shoppers])
            FILLED.extend(tokens[shoppers : shoppers + filled_carts])
            if couponed:  # ¥1 off anything, one coupon in each of these shoppers' wallets
                template = CouponTemplate(
                    name="立减1元",
                    kind=CouponKind.AMOUNT_OFF,
                    amount_off_fen=100,
                    min_spend_fen=0,
                    scope=CouponScope.ALL,
                    valid_from=now - timedelta(days=1),
                    valid_until=now + timedelta(days=1),
                    total_quantity=couponed,
                    claimed_quantity=couponed,
                    per_user_limit=1,
                    tiers_allowed=[],
                    stackable=False,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
                db.session.add(template)
                db.session.flush()  # its id
                holders = user_ids[shoppers + filled_carts :]
                coupon_ids = db.session.scalars(
                    insert(UserCoupon).returning(UserCoupon.id, sort_by_parameter_order=True),
                    [
                        {"template_id": template.id, "user_id": u, "status": "available", "claimed_at": now}
                        for u in holders
                    ],
                ).all()
                COUPONED.extend(zip(tokens[shoppers + filled_carts :], coupon_ids, strict=True))
        db.session.remove()
        db.engine.dispose()
    # Statistics before any server connects, as `ceiling_app.py init` gives the ceiling's tables.
    settle([url])


@contextmanager
def gunicorn(app_spec: str, port: int, workers: int, env: dict[str, str], cwd: Path):  # type: ignore[no-untyped-def]
    """Serve `app_spec` under gunicorn (sync x `workers`) with `env` added; fail when it does not come up."""
    argv = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-w",
        str(workers),
        "-k",
        "sync",
        "--no-control-socket",
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    proc = subprocess.Popen(
        argv, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz" if "wsgi" in app_spec else f"http://127.0.0.1:{port}/health",
                    timeout=1,
                )
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"gunicorn {app_spec} exited ({proc.returncode}), environment {env}") from None
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn {app_spec} did not answer on port {port} within 20 s")
        yield
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def wrk_lines(lines: list[str], path: Path) -> str:
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def run_mode(
    port: int,
    mode: str,
    *,
    lines: list[str] | None,
    threads: int,
    connections: int,
    duration: float,
    round_no: int,
    work: Path,
    echo: bool = True,
) -> tuple[Stats, Wrk]:
    """One wrk run of bench/checkout.lua in `mode` against 127.0.0.1:`port`; `lines` go to its token file."""
    token_file = wrk_lines(lines, work / f"{mode}{round_no}.txt") if lines is not None else "-"
    deals = ",".join(map(str, DEALS)) if mode not in CEILING_MODES and DEALS else "-"
    args = [mode, str(round_no), str(threads), token_file, deals, str(CEILING_PRODUCTS)]
    wrk = Wrk(
        command(
            f"http://127.0.0.1:{port}",
            LUA,
            threads=threads,
            connections=connections,
            duration=duration,
            args=args,
        ),
        work / f"{mode}{round_no}.out",
        echo=echo,
    ).start()
    text = wrk.wait()
    return read_stats(text, lua_latency=mode == "loop"), wrk


def unused(lines: list[str], stats: Stats, threads: int) -> list[str]:
    """The lines no thread handed out: thread t took the lines n ≡ t (mod threads) in order, the first used[t]."""
    return [line for n, line in enumerate(lines) if n // threads >= stats.used.get(n % threads, 0)]


@dataclass
class Route:
    """One measured path: where it goes, its Lua mode, its shoppers, its figures per round."""

    name: str
    port: int
    mode: str
    reference: str  # the path whose figures it is read against
    lines: Callable[[], list[str] | None]  # the token file's lines for the next round
    one_shot: bool = False
    loop: bool = False  # one connection per wrk thread
    rounds: list[Stats] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)  # wrk's CPU share per round
    ran_out: int = 0  # rounds in which threads ran out of one-shot shoppers, or that were skipped for lack of them


def line(stats: Stats, share: float) -> str:
    latency = "script" if stats.latency_from == "lua" else "wrk"
    extra = f", failed cart adds {sum(stats.step_failures.values())}" if stats.step_failures else ""
    return (
        f"{stats.rate:8.1f} ok/s  p50 {stats.p50_ms:7.1f} ms  p99 {stats.p99_ms:7.1f} ms ({latency})"
        f"  non-2xx {stats.not_ok} (5xx {stats.count(500, 600)}){extra}  socket errors {stats.socket_errors}"
        f"  wrk CPU {share:5.1%} of a core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (the loop run uses one per connection)")
    parser.add_argument("--connections", "--clients", type=int, default=32, help="wrk connections")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each server's runs")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers, each server")
    parser.add_argument("--shoppers", type=int, default=2000, help="shoppers with empty carts (orders, loop)")
    parser.add_argument("--carters", type=int, default=2000, help="other shoppers with empty carts (cart add)")
    parser.add_argument("--filled-carts", type=int, default=16000, help="shoppers with one cart line each")
    parser.add_argument("--couponed", type=int, default=16000, help="shoppers with one coupon each (coupon run)")
    parser.add_argument("--ceiling-dir", type=Path, default=CEILING_DIR, help="where ceiling_app.py lives")
    parser.add_argument(
        "--settle",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="VACUUM ANALYZE and CHECKPOINT before every run (unmeasured), so none pays for the one before",
    )
    parser.add_argument(
        "--paths",
        default=",".join(MODES),
        help="the runs to make, by mode, comma-separated (default: all): fewer runs put each nearer its reference"
        " in time, which a host whose speed drifts needs",
    )
    args = parser.parse_args()
    chosen = args.paths.split(",")
    if unknown := set(chosen) - set(MODES):
        sys.exit(f"--paths: unknown {', '.join(sorted(unknown))} (known: {', '.join(MODES)})")
    require_wrk()
    if args.connections % args.threads:
        sys.exit("--connections must be a multiple of --threads (wrk gives each thread connections / threads)")
    print("command: " + " ".join([".venv/bin/python", "bench/checkout.py", *sys.argv[1:]]))
    print(f"settings: {vars(args)}")

    shoppers = args.shoppers + args.carters
    print(
        f"seeding groupbuy ({shoppers} + {args.filled_carts} + {args.couponed} shoppers, 40 deals, 10 leaders)...",
        flush=True,
    )
    gb_url = _fresh_database("gb_bench_checkout")
    seed_groupbuy(gb_url, shoppers=shoppers, deals=40, filled_carts=args.filled_carts, couponed=args.couponed)
    ceiling_url = fresh_ceiling("gb_bench_ceiling", args.ceiling_dir)
    orderers, carters = TOKENS[: args.shoppers], TOKENS[args.shoppers :]
    filled = list(FILLED)  # what is left of them: one-shot
    couponed = [f"{token} {coupon}" for token, coupon in COUPONED]
    paths = [
        Route(CEILING, CEILING_PORT, "ceiling", CEILING, lambda: None),
        Route(ITEMS, GB_PORT, "items", CEILING, lambda: orderers),
        Route(ITEMS_COUPON, GB_PORT, "coupon", CEILING, lambda: couponed, one_shot=True),
        Route(FILLED_CART, GB_PORT, "filled", CEILING, lambda: filled, one_shot=True),
        Route(ADD_THEN_ORDER, GB_PORT, "loop", CEILING, lambda: orderers, loop=True),
        Route(RESERVE, CEILING_PORT, "reserve", RESERVE, lambda: None),
        Route(CART_ADD, GB_PORT, "add", RESERVE, lambda: carters),
    ]
    by_name = {p.name: p for p in paths}
    paths = [p for p in paths if p.mode in chosen]
    gb_env = {"GROUPBUY_DATABASE_URL": gb_url, "GROUPBUY_LOG_LEVEL": "WARNING", "GROUPBUY_DB_POOL_SIZE": "5"}
    load = {"duration": args.duration}
    with (
        tempfile.TemporaryDirectory() as tmp,
        gunicorn("ceiling_app:app", CEILING_PORT, args.workers, {"DB_URL": ceiling_url}, args.ceiling_dir),
        gunicorn("wsgi:app", GB_PORT, args.workers, gb_env, ROOT),
    ):
        work = Path(tmp)
        # unmeasured: workers import, pools fill, statements get prepared
        for port, mode, lines in ((CEILING_PORT, "ceiling", None), (GB_PORT, "items", orderers)):
            run_mode(
                port,
                mode,
                lines=lines,
                threads=args.threads,
                connections=args.connections,
                duration=args.warmup,
                round_no=0,
                work=work,
                echo=False,
            )
        for round_no in range(1, args.rounds + 1):
            shift = (round_no - 1) % len(paths)  # each round starts one path later: none always follows another
            for path in paths[shift:] + paths[:shift]:
                lines = path.lines()
                threads = args.connections if path.loop else args.threads
                if path.one_shot and lines is not None and len(lines) < 2 * threads:
                    print(f"round {round_no}: {path.name}: skipped, its one-shot shoppers ran out", flush=True)
                    path.ran_out += 1
                    continue
                if args.settle:
                    settle([gb_url, ceiling_url])
                print(f"round {round_no}: {path.name} ...", flush=True)
                before = os.getloadavg()[0]
                stats, wrk = run_mode(
                    path.port,
                    path.mode,
                    lines=lines,
                    threads=threads,
                    connections=args.connections,
                    round_no=round_no,
                    work=work,
                    **load,
                )
                after = os.getloadavg()[0]
                path.rounds.append(stats)
                path.shares.append(wrk.cpu_share)
                print(f"  {line(stats, wrk.cpu_share)}  load average {before:.1f} -> {after:.1f}", flush=True)
                if stats.exhausted:
                    path.ran_out += 1
                    print(f"  {stats.exhausted} of {threads} wrk threads ran out of one-shot shoppers and stopped")
                if path.one_shot and lines is not None:
                    left = unused(lines, stats, threads)
                    if path.mode == "filled":
                        filled[:] = left
                    else:
                        couponed[:] = left

    loop_setup = f"the loop: {args.connections} threads x 1 connection"
    print(
        f"\n{args.threads} wrk threads x {args.connections} connections ({loop_setup}), {args.rounds} rounds x"
        f" {args.duration:g} s, gunicorn sync x{args.workers}, PostgreSQL"
    )
    print("\n  medians over the rounds (ratio: each round against that round's reference)")
    for path in paths:
        ref = by_name[path.reference]
        if not path.rounds:
            print(f"    {path.name:36} no rounds run")
            continue
        ratio = _ratio(path, ref)
        print(
            f"    {path.name:36} {statistics.median(r.rate for r in path.rounds):7.1f} ok/s"
            f"  p50 {statistics.median(r.p50_ms for r in path.rounds):6.1f} ms"
            f"  p99 {statistics.median(r.p99_ms for r in path.rounds):6.1f} ms"
            f"  non-2xx {sum(r.not_ok for r in path.rounds)} (5xx {sum(r.count(500, 600) for r in path.rounds)})"
            f"  wrk CPU {statistics.median(path.shares):5.1%}"
            + ("" if path is ref else f"  {ratio:6.1%} of {ref.name}")
        )
        if path.ran_out:
            flag = "--filled-carts" if path.mode == "filled" else "--couponed"
            print(f"      (ran out of one-shot shoppers in {path.ran_out} round(s): raise {flag})")
    _targets(by_name)
    _psql("DROP DATABASE IF EXISTS gb_bench_checkout WITH (FORCE)")
    _psql("DROP DATABASE IF EXISTS gb_bench_ceiling WITH (FORCE)")


def _ratio(path: Route, reference: Route) -> float:
    pairs = list(zip(path.rounds, reference.rounds, strict=False))
    return statistics.median(r.rate / c.rate for r, c in pairs) if pairs else float("nan")


def _targets(by_name: dict[str, Route]) -> None:
    ceiling, items, coupon = by_name[CEILING], by_name[ITEMS], by_name[ITEMS_COUPON]
    reserve, cart_add = by_name[RESERVE], by_name[CART_ADD]
    print("\n  targets (issue 15)")
    if ceiling.rounds and items.rounds:
        ratio = _ratio(items, ceiling)
        p99 = statistics.median(r.p99_ms for r in items.rounds)
        ceiling_p99 = statistics.median(r.p99_ms for r in ceiling.rounds)
        print(
            f"    items→order: {ratio:.1%} of the ceiling's orders/s (target ≥ 70 %: {_met(ratio >= 0.70)}),"
            f" p99 {p99:.1f} ms = {p99 / ceiling_p99:.2f} x the ceiling's {ceiling_p99:.1f} ms"
            f" (target ≤ 1.3 x: {_met(p99 <= 1.3 * ceiling_p99)})"
        )
    if reserve.rounds and cart_add.rounds:
        ratio = _ratio(cart_add, reserve)
        print(f"    cart add: {ratio:.1%} of the conditional UPDATE's req/s (target ≥ 80 %: {_met(ratio >= 0.80)})")
    if coupon.rounds and items.rounds:
        drop = _ratio(items, ceiling) - _ratio(coupon, ceiling)
        print(
            f"    a coupon applied costs {drop * 100:.1f} points of the ceiling ratio"
            f" (target at most 5: {_met(drop <= 0.05)})"
        )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    main()
