"""CPU per order: groupbuy's items→order against the ceiling's insert, read from the kernel, not from a clock.

    .venv/bin/python bench/checkout_cpu.py [--rounds 5] [--duration 8] [--connections 32] [--workers 4] [--no-settle]

bench/checkout.py reads throughput as a ratio to the ceiling measured in the same round. On a host whose speed
drifts within minutes (other tenants, steal time), the two sides of a ratio can meet different machines, and
when something outside both apps bounds them (the disk's fsync, the host) the ratio says little about what each
request costs. This bench runs the same two paths with the same setup (bench/checkout.py's seeds, gunicorn sync
x --workers, wrk 2 x --connections with bench/checkout.lua), alternating them, and for every run reads the CPU
time the kernel charged (utime + stime from /proc) to the gunicorn processes of the server under load, to every
PostgreSQL process, and to wrk, divided by the orders it answered. Their sum is what an order costs the two
cores; on a machine that is CPU-bound, the throughput ratio tends to the inverse ratio of those sums. Before
every run both databases are vacuumed and a checkpoint taken, unmeasured (--no-settle: not): otherwise the
autovacuum of the tables one run filled and its dirty pages are charged to whichever run comes next.

Prints each run, then the medians and the ratio of the ceiling's CPU per order to groupbuy's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import checkout  # noqa: E402
from bench.wrkrun import require_wrk  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes, in seconds (a process gone meanwhile counts 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return total / TICK


def _pids(pattern: str, *, user: str | None = None) -> list[int]:
    argv = ["pgrep", *(["-u", user] if user else []), "-f", pattern]
    found = subprocess.run(argv, capture_output=True, text=True, check=False).stdout.split()
    return [int(pid) for pid in found]


@dataclass
class Run:
    rate: float
    app_ms: float  # CPU per order: the server's gunicorn processes
    pg_ms: float  # every PostgreSQL process
    wrk_ms: float

    @property
    def total_ms(self) -> float:
        return self.app_ms + self.pg_ms + self.wrk_ms


def measure(port: int, mode: str, lines: list[str] | None, args: argparse.Namespace, round_no: int, work: Path) -> Run:
    app, pg = _pids(f"gunicorn.*127.0.0.1:{port}"), _pids("postgres", user="postgres")
    app0, pg0 = _cpu_seconds(app), _cpu_seconds(pg)
    stats, wrk = checkout.run_mode(
        port,
        mode,
        lines=lines,
        threads=2,
        connections=args.connections,
        duration=args.duration,
        round_no=round_no,
        work=work,
        echo=False,
    )
    app1, pg1 = _cpu_seconds(app), _cpu_seconds(pg)
    orders = stats.rate * wrk.wall
    return Run(
        rate=stats.rate,
        app_ms=(app1 - app0) / orders * 1000,
        pg_ms=(pg1 - pg0) / orders * 1000,
        wrk_ms=wrk.cpu / orders * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=8, help="seconds per run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (2 threads)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers, each server")
    parser.add_argument(
        "--settle",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="VACUUM ANALYZE and CHECKPOINT before every run (unmeasured), so none pays for the one before",
    )
    args = parser.parse_args()
    require_wrk()
    print("command: " + " ".join([".venv/bin/python", "bench/checkout_cpu.py", *sys.argv[1:]]), flush=True)
    gb_url = checkout._fresh_database("gb_bench_checkout")
    checkout.seed_groupbuy(gb_url, shoppers=2000, deals=40)
    ceiling_url = checkout.fresh_ceiling("gb_bench_ceiling")
    gb_env = {"GROUPBUY_DATABASE_URL": gb_url, "GROUPBUY_LOG_LEVEL": "WARNING", "GROUPBUY_DB_POOL_SIZE": "5"}
    paths = [
        ("ceiling POST /orders", checkout.CEILING_PORT, "ceiling", None),
        ("groupbuy items→order", checkout.GB_PORT, "items", list(checkout.TOKENS)),
    ]
    runs: dict[str, list[Run]] = {name: [] for name, *_ in paths}
    with (
        tempfile.TemporaryDirectory() as tmp,
        checkout.gunicorn(
            "ceiling_app:app", checkout.CEILING_PORT, args.workers, {"DB_URL": ceiling_url}, checkout.CEILING_DIR
        ),
        checkout.gunicorn("wsgi:app", checkout.GB_PORT, args.workers, gb_env, ROOT),
    ):
        work = Path(tmp)
        for _, port, mode, lines in paths:  # unmeasured: imports, pools, prepared statements
            checkout.run_mode(
                port, mode, lines=lines, threads=2, connections=args.connections, duration=3, round_no=0, work=work
            )
        for round_no in range(1, args.rounds + 1):
            ordered = paths if round_no % 2 else paths[::-1]
            for name, port, mode, lines in ordered:
                if args.settle:
                    checkout.settle([gb_url, ceiling_url])
                run = measure(port, mode, lines, args, round_no, work)
                runs[name].append(run)
                print(
                    f"round {round_no}: {name:22} {run.rate:7.1f} orders/s  CPU per order: app {run.app_ms:.2f} ms,"
                    f" PostgreSQL {run.pg_ms:.2f} ms, wrk {run.wrk_ms:.2f} ms, in all {run.total_ms:.2f} ms"
                    f"  (load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
    print("\n  medians")
    for name, measured in runs.items():
        print(
            f"    {name:22} {statistics.median(r.rate for r in measured):7.1f} orders/s  CPU per order:"
            f" app {statistics.median(r.app_ms for r in measured):.2f} ms,"
            f" PostgreSQL {statistics.median(r.pg_ms for r in measured):.2f} ms,"
            f" wrk {statistics.median(r.wrk_ms for r in measured):.2f} ms,"
            f" in all {statistics.median(r.total_ms for r in measured):.2f} ms"
        )
    ceiling, groupbuy = (statistics.median(r.total_ms for r in runs[name]) for name, *_ in paths)
    print(
        f"\n  the ceiling's CPU per order is {ceiling / groupbuy:.1%} of groupbuy's: the throughput ratio a CPU-bound"
        " machine would show (issue 15's target: at least 70 %)"
    )
    checkout._psql("DROP DATABASE IF EXISTS gb_bench_checkout WITH (FORCE)")
    checkout._psql("DROP DATABASE IF EXISTS gb_bench_ceiling WITH (FORCE)")


if __name__ == "__main__":
    main()
