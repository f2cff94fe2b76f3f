"""Instructions per order, counted by valgrind: groupbuy's items→order against the ceiling's insert, in-process.

    .venv/bin/python bench/checkout_instructions.py [--orders 200] [--root PATH]

Throughput on a shared host drifts by a factor of two within minutes, and CPU time per request with it (both
seen on these machines), so a change of 10-20 % in what an order costs can hide in the noise of bench/checkout.py.
`valgrind --tool=callgrind` counts the instructions a process executes, the same for the same code and inputs
whatever else the machine is doing. This bench seeds bench/checkout.py's shoppers and deals and the ceiling's
products, then runs each app through Flask's test client under callgrind twice (after 30 unmeasured orders:
pools, prepared statements, compiled caches): once with no further order and once with --orders more. The
difference over --orders is what one order costs the app's process (its Python, SQLAlchemy, psycopg and the
test client, which both share; PostgreSQL's side is not counted). --root measures another checkout of groupbuy
(say `git worktree add /tmp/before <commit>`, then `--root /tmp/before`) against the same databases.

Needs valgrind (Debian package `valgrind`) and PostgreSQL on 127.0.0.1; the four runs go two at a time and take
a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import checkout  # noqa: E402

WARM = 30  # orders before the measured ones, in every run

GROUPBUY = """
import json, sys
root, orders, seed = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
sys.path.insert(0, root)
from groupbuy import create_app
app = create_app({"DATABASE_URL": seed["url"], "LOG_LEVEL": "WARNING", "METRICS_DISABLED": True})
client = app.test_client()
for i in range(WARM + orders):
    token, deal = seed["tokens"][i % len(seed["tokens"])], seed["deals"][i * 7 % len(seed["deals"])]
    answer = client.post(
        "/api/v1/orders",
        json={"items": [{"deal_id": deal, "quantity": 1}], "fulfilment": "pickup"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"{seed['run']}-{orders}-{i}"},
    )
    assert answer.status_code == 201, answer.json
"""

CEILING = """
import json, os, sys
orders, seed = int(sys.argv[2]), json.load(open(sys.argv[3]))
os.environ["DB_URL"] = seed["ceiling_url"]
sys.path.insert(0, seed["ceiling_dir"])
import ceiling_app
client = ceiling_app.app.test_client()
for i in range(WARM + orders):
    items = [{"product_id": i % 10000 + 1, "qty": 1, "price_cents": 199}]
    items.append({"product_id": i * 7 % 10000 + 1, "qty": 1, "price_cents": 199})
    answer = client.post("/orders", json={"user_id": i % 1000 + 1, "items": items})
    assert answer.status_code == 201, answer.json
"""


def _instructions(script: Path, root: Path, orders: int, seed: Path, out: Path) -> subprocess.Popen[bytes]:
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.cg", sys.executable, str(script)]
    with out.open("wb") as log:
        return subprocess.Popen([*argv, str(root), str(orders), str(seed)], stdout=log, stderr=subprocess.STDOUT)


def _refs(log: Path) -> int:
    found = re.findall(r"I\s+refs:\s+([\d,]+)", log.read_text())
    if not found:
        sys.exit(f"no instruction count in {log}:\n{log.read_text()[-2000:]}")
    return int(found[-1].replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200, help="measured orders per app")
    parser.add_argument("--root", type=Path, default=ROOT, help="the groupbuy checkout to measure")
    args = parser.parse_args()
    print("command: " + " ".join([".venv/bin/python", "bench/checkout_instructions.py", *sys.argv[1:]]), flush=True)
    gb_url = checkout._fresh_database("gb_bench_instructions")
    checkout.seed_groupbuy(gb_url, shoppers=1000, deals=40)
    ceiling_url = checkout.fresh_ceiling("gb_bench_ceiling")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seed = work / "seed.json"
        seed.write_text(
            json.dumps(
                {
                    "url": gb_url,
                    "tokens": checkout.TOKENS,
                    "deals": checkout.DEALS,
                    "ceiling_url": ceiling_url,
                    "ceiling_dir": str(checkout.CEILING_DIR),
                    "run": os.getpid(),
                }
            )
        )
        counts = {}
        for name, source in (("groupbuy items→order", GROUPBUY), ("ceiling POST /orders", CEILING)):
            script = work / f"{name.split()[0]}.py"
            script.write_text(f"WARM = {WARM}\n{source}")
            logs = {n: work / f"{script.stem}.{n}.log" for n in (0, args.orders)}
            print(f"{name}: callgrind, {WARM} orders and then {WARM} + {args.orders} ...", flush=True)
            runs = [_instructions(script, args.root, n, seed, log) for n, log in logs.items()]
            for run in runs:
                if run.wait():
                    sys.exit(f"{name}: a callgrind run failed; its log is in {work}")
            counts[name] = (_refs(logs[args.orders]) - _refs(logs[0])) / args.orders
            print(f"  {counts[name] / 1e6:.2f} million instructions per order", flush=True)
    groupbuy, ceiling = counts.values()
    print(
        f"\n  the ceiling's instructions per order are {ceiling / groupbuy:.1%} of groupbuy's"
        f" ({ceiling / 1e6:.2f} M against {groupbuy / 1e6:.2f} M; the app's process only, the test client included)"
    )
    checkout._psql("DROP DATABASE IF EXISTS gb_bench_instructions WITH (FORCE)")
    checkout._psql("DROP DATABASE IF EXISTS gb_bench_ceiling WITH (FORCE)")


if __name__ == "__main__":
    main()
