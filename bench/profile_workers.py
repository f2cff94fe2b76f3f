"""Where a gunicorn worker spends its Python time during place-order: py-spy on live workers, GIL-held samples.

    .venv/bin/python bench/profile_workers.py [--duration 8] [--top 30] [--mode filled|items] [--keep DIR]

Starts groupbuy under gunicorn (sync x4) on PostgreSQL with the checkout bench's data, drives place-order
from filled carts (or, with --mode items, one random deal's items: bench/checkout.py's items→order) with wrk
(bench/checkout.lua, 2 threads x 32 connections, each filled cart ordered once),
records two workers with `py-spy record --gil` (only samples that hold the GIL: Python CPU, not waiting on
PostgreSQL) and prints the share of samples per package (self time) and per function (inclusive); --keep
copies py-spy's raw stacks (one "frame;frame;... count" line each) into DIR. py-spy needs ptrace rights (root,
or CAP_SYS_PTRACE).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import checkout  # noqa: E402

FRAME = re.compile(r"(?P<function>.*) \((?P<file>.*):\d+\)")


def _where(frame: str) -> tuple[str, str]:
    """(package or groupbuy module, 'function (file)') of one py-spy frame."""
    match = FRAME.match(frame)
    if not match:
        return frame, frame
    file = match["file"].split("site-packages/")[-1].replace(str(ROOT) + "/", "")
    package = file.split("/")[0] if not file.startswith("groupbuy") else "groupbuy"
    return package, f"{match['function']} ({file})"


def summarise(paths: list[Path], top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            samples = int(count)
            total += samples
            frames = [_where(f) for f in stack.split(";")]
            own[frames[-1][0]] += samples
            for name in {f[1] for f in frames}:
                inclusive[name] += samples
    print(f"\n{total} GIL-held samples\n\nself time by package")
    for package, samples in own.most_common(12):
        print(f"  {samples / total:6.1%}  {package}")
    print("\ninclusive, groupbuy and the libraries it calls directly")
    shown = [(n, s) for n, s in inclusive.most_common() if "gunicorn" not in n and "flask/" not in n]
    for name, samples in shown[:top]:
        print(f"  {samples / total:6.1%}  {name[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--mode", choices=("filled", "items"), default="filled", help="order from filled carts, or one deal's items"
    )
    parser.add_argument("--keep", type=Path, help="copy py-spy's raw stacks into this directory")
    args = parser.parse_args()
    url = checkout._fresh_database("gb_bench_checkout")
    checkout.seed_groupbuy(url, shoppers=2000, deals=40, filled_carts=6000)
    env = {"GROUPBUY_DATABASE_URL": url, "GROUPBUY_LOG_LEVEL": "WARNING", "GROUPBUY_DB_POOL_SIZE": "5"}
    spy = ROOT / ".venv/bin/py-spy"
    with tempfile.TemporaryDirectory() as tmp, checkout.gunicorn("wsgi:app", 18001, 4, env, ROOT):
        work = Path(tmp)
        checkout.run_mode(
            checkout.GB_PORT,
            "items",
            lines=checkout.TOKENS,
            threads=2,
            connections=32,
            duration=2,
            round_no=0,
            work=work,
            echo=False,
        )
        pids = subprocess.check_output(["pgrep", "-f", "gunicorn.*18001"], text=True).split()[1:3]  # two workers
        outputs = [Path(tmp) / f"{pid}.txt" for pid in pids]
        spies = [
            subprocess.Popen(
                [spy, "record", "-p", pid, "-d", str(int(args.duration)), "-r", "200", "-f", "raw", "--gil", "-o", out],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid, out in zip(pids, outputs, strict=True)
        ]
        stats, wrk = checkout.run_mode(
            checkout.GB_PORT,
            args.mode,
            lines=checkout.FILLED if args.mode == "filled" else checkout.TOKENS,
            threads=2,
            connections=32,
            duration=args.duration,
            round_no=1,
            work=work,
        )
        for process in spies:
            process.wait()
        print(f"place-order ({args.mode}) while recording: {checkout.line(stats, wrk.cpu_share)}")
        if stats.exhausted:
            print("  (wrk threads ran out of filled carts: the rate is too low)")
        summarise(outputs, args.top)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for out in outputs:
                (args.keep / out.name).write_text(out.read_text())
    checkout._psql("DROP DATABASE IF EXISTS gb_bench_checkout WITH (FORCE)")


if __name__ == "__main__":
    main()
