"""Checkout throughput: groupbuy's place-order vs the reference ceiling app, same gunicorn, same load, one run.

    .venv/bin/python bench/checkout.py [--duration 20] [--clients 32] [--workers 4]

Needs PostgreSQL on 127.0.0.1 (creates/drops databases gb_bench_checkout and gb_bench_ceiling).
Prints orders/s, p50/p99 for groupbuy (order from a filled cart, direct items → order, the same with a coupon
applied, cart add + order in one loop) and for the ceiling
app's POST /orders, and the ratios. Target: ≥ 50% of the ceiling, p99 < 100 ms; the coupon run within 5 points
of the items run's ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.loadgen import Result, Step, run_load  # noqa: E402

CEILING_DIR = ROOT / "bench"  # ceiling_app.py: the reference checkout, carried here
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
TOKENS: list[str] = []  # shoppers with empty carts
FILLED: list[str] = []  # shoppers whose cart holds one line: one order each, for the filled-cart run
COUPONED: list[tuple[str, int]] = []  # shoppers holding one coupon (token, coupon id): one order each
DEALS: list[int] = []
CLIENTS = 32
ROUND = 0  # in idempotency keys, so a later round never replays an earlier one
FILLED_FROM = 0  # the filled carts used by earlier rounds
COUPONED_FROM = 0  # the coupons used by earlier rounds
CEILING = "ceiling POST /orders"
FILLED_CART = "groupbuy cart→order (filled cart)"
ITEMS = "groupbuy items→order"
ITEMS_COUPON = "groupbuy items→order + coupon"
ADD_THEN_ORDER = "groupbuy cart add + order (loop)"


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True)


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


@contextmanager
def gunicorn(app_spec: str, port: int, workers: int, env: dict[str, str], cwd: Path):  # type: ignore[no-untyped-def]
    command = [
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
        command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
                time.sleep(0.2)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def plan_filled_cart(client: int, seq: int) -> list[Step]:
    """Place-order from a cart filled beforehand: every iteration is a new shopper with one cart line."""
    token = FILLED[(FILLED_FROM + seq * CLIENTS + client) % len(FILLED)]
    return [
        (
            "POST",
            "/api/v1/orders",
            {"Authorization": f"Bearer {token}", "Idempotency-Key": f"f{ROUND}-{client}-{seq}"},
            {"from_cart": True, "fulfilment": "pickup"},
            True,
        )
    ]


def plan_add_then_order(client: int, seq: int) -> list[Step]:
    """Add a deal to the cart, then order the cart: both requests in the loop, the order measured."""
    token = TOKENS[client % len(TOKENS)]
    auth = {"Authorization": f"Bearer {token}"}
    deal = DEALS[(client * 7 + seq) % len(DEALS)]
    return [
        ("POST", "/api/v1/cart/items", auth, {"deal_id": deal, "quantity": 1}, False),
        (
            "POST",
            "/api/v1/orders",
            {**auth, "Idempotency-Key": f"c{ROUND}-{client}-{seq}"},
            {"from_cart": True, "fulfilment": "pickup"},
            True,
        ),
    ]


def plan_items(client: int, seq: int) -> list[Step]:
    token = TOKENS[client % len(TOKENS)]
    deal = DEALS[(client * 7 + seq) % len(DEALS)]
    return [
        (
            "POST",
            "/api/v1/orders",
            {"Authorization": f"Bearer {token}", "Idempotency-Key": f"i{ROUND}-{client}-{seq}"},
            {"items": [{"deal_id": deal, "quantity": 1}], "fulfilment": "pickup"},
            True,
        )
    ]


def plan_items_coupon(client: int, seq: int) -> list[Step]:
    """The items run with a coupon applied: each iteration a shopper holding one coupon orders one deal with it."""
    token, coupon = COUPONED[(COUPONED_FROM + seq * CLIENTS + client) % len(COUPONED)]
    deal = DEALS[(client * 7 + seq) % len(DEALS)]
    return [
        (
            "POST",
            "/api/v1/orders",
            {"Authorization": f"Bearer {token}", "Idempotency-Key": f"q{ROUND}-{client}-{seq}"},
            {"items": [{"deal_id": deal, "quantity": 1}], "fulfilment": "pickup", "coupon_id": coupon},
            True,
        )
    ]


def plan_warmup(client: int, seq: int) -> list[Step]:
    token = TOKENS[client % len(TOKENS)]
    deal = DEALS[(client * 3 + seq) % len(DEALS)]
    return [
        (
            "POST",
            "/api/v1/orders",
            {"Authorization": f"Bearer {token}", "Idempotency-Key": f"w{client}-{seq}"},
            {"items": [{"deal_id": deal, "quantity": 1}], "fulfilment": "pickup"},
            True,
        )
    ]


def plan_ceiling(client: int, seq: int) -> list[Step]:
    rng = random.Random(client * 100003 + seq)
    items = [{"product_id": rng.randint(1, 10000), "qty": 1, "price_cents": 199} for _ in range(2)]
    return [("POST", "/orders", {}, {"user_id": client, "items": items}, True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each server's runs")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=1, help="load generator processes (asyncio)")
    parser.add_argument("--shoppers", type=int, default=2000, help="shoppers with empty carts")
    parser.add_argument("--filled-carts", type=int, default=16000, help="shoppers with one cart line each")
    parser.add_argument("--couponed", type=int, default=16000, help="shoppers with one coupon each (coupon run)")
    parser.add_argument("--ceiling-dir", type=Path, default=CEILING_DIR, help="where ceiling_app.py lives")
    args = parser.parse_args()
    global CLIENTS  # noqa: PLW0603 - read by plan_filled_cart in the forked load processes
    CLIENTS = args.clients

    print(f"seeding groupbuy ({args.shoppers} + {args.filled_carts} shoppers, 40 deals, 10 leaders)...", flush=True)
    gb_url = _fresh_database("gb_bench_checkout")
    seed_groupbuy(gb_url, shoppers=args.shoppers, deals=40, filled_carts=args.filled_carts, couponed=args.couponed)
    ceiling_url = _fresh_database("gb_bench_ceiling")
    subprocess.run(
        [sys.executable, "ceiling_app.py", "init"],
        cwd=args.ceiling_dir,
        check=True,
        env={**os.environ, "DB_URL": ceiling_url},
        stdout=subprocess.DEVNULL,
    )
    gb_env = {"GROUPBUY_DATABASE_URL": gb_url, "GROUPBUY_LOG_LEVEL": "WARNING", "GROUPBUY_DB_POOL_SIZE": "5"}
    load = {"clients": args.clients, "processes": args.processes, "duration": args.duration}
    warm = {**load, "duration": args.warmup}
    plans = {CEILING: (18002, plan_ceiling), FILLED_CART: (18001, plan_filled_cart), ITEMS: (18001, plan_items)}
    plans[ITEMS_COUPON] = (18001, plan_items_coupon)
    plans[ADD_THEN_ORDER] = (18001, plan_add_then_order)
    runs: dict[str, list[Result]] = {name: [] for name in plans}
    global ROUND, FILLED_FROM, COUPONED_FROM  # noqa: PLW0603 - read by the plans in the forked load processes
    with (
        gunicorn("ceiling_app:app", 18002, args.workers, {"DB_URL": ceiling_url}, args.ceiling_dir),
        gunicorn("wsgi:app", 18001, args.workers, gb_env, ROOT),
    ):
        # unmeasured: workers import, pools fill, statements get prepared
        run_load("127.0.0.1", 18002, plan_ceiling, **warm)
        run_load("127.0.0.1", 18001, plan_warmup, **warm)
        for ROUND in range(1, args.rounds + 1):  # interleaved, so drift on a shared machine hits both alike
            for name, (port, plan) in plans.items():
                print(f"round {ROUND}: {name} ...", flush=True)
                runs[name].append(run_load("127.0.0.1", port, plan, **load))
            FILLED_FROM += 2 * runs[FILLED_CART][-1].iterations  # clients progress unevenly: leave slack
            COUPONED_FROM += 2 * runs[ITEMS_COUPON][-1].iterations
    setup = f"{args.clients} clients, {args.rounds} rounds x {args.duration:.0f} s, gunicorn sync x{args.workers}"
    print(f"\n{setup}, PostgreSQL")
    for name, results in runs.items():
        print(f"\n  {name}")
        for n, result in enumerate(results, 1):
            print(f"    round {n}: {result.summary()}")
    print("\n  medians over the rounds (ratio: each round against that round's ceiling)")
    for name, results in runs.items():
        ratios = [r.rate / c.rate for r, c in zip(results, runs[CEILING], strict=True)]
        print(
            f"    {name:34} {statistics.median(r.rate for r in results):7.1f} orders/s"
            f"  p50 {statistics.median(r.percentile(50) for r in results):6.1f} ms"
            f"  p99 {statistics.median(r.percentile(99) for r in results):6.1f} ms"
            f"  {statistics.median(ratios):6.1%} of the ceiling"
        )
    if len(FILLED) < FILLED_FROM:
        print(f"  (filled carts ran out: raise --filled-carts above {FILLED_FROM})")
    if len(COUPONED) < COUPONED_FROM:
        print(f"  (coupons ran out: raise --couponed above {COUPONED_FROM})")
    with_coupon = [r.rate / c.rate for r, c in zip(runs[ITEMS_COUPON], runs[CEILING], strict=True)]
    without = [r.rate / c.rate for r, c in zip(runs[ITEMS], runs[CEILING], strict=True)]
    drop = statistics.median(without) - statistics.median(with_coupon)
    print(f"\n  a coupon applied costs {drop * 100:.1f} points of the ceiling ratio (target: at most 5)")
    _psql("DROP DATABASE IF EXISTS gb_bench_checkout WITH (FORCE)")
    _psql("DROP DATABASE IF EXISTS gb_bench_ceiling WITH (FORCE)")


if __name__ == "__main__":
    main()
