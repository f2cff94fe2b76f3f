"""Running wrk from the benches: its CPU time from the kernel, its Lua summary lines, percentiles.

Used by bench/flash_sale.py, bench/checkout.py and bench/browse.py; not a script. wrk (Debian package `wrk`)
drives the load so that the load generator costs a few percent of one core, not one of the two cores the servers
under test need. Each bench prints `Wrk.share` beside its figures: wrk's CPU seconds (user + system, read with
wait4 when it ends) over its wall seconds.

The Lua scripts report through `done()`, which runs in wrk's main state after the threads stop: each writes lines
of the form `PREFIX key=value key=value ...` to stdout, which `fields` and `field_lines` read back. The scripts
that use bench/wrkstats.lua write `WRK-SUMMARY` (wrk's own counts and latency percentiles) and one `WRK-THREAD`
line per thread (statuses counted by the script, tokens used, Lua-measured latencies); `read_stats` turns them
into a `Stats`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


def add_env_option(parser: argparse.ArgumentParser) -> None:
    """``--env KEY=VALUE`` (repeatable): extra environment for groupbuy's gunicorn."""
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for groupbuy's gunicorn (repeatable), e.g. GROUPBUY_REDIS_URL=redis://127.0.0.1:6379/5"
        " or GROUPBUY_READ_CACHE_SECONDS=0",
    )


def env_pairs(pairs: list[str]) -> dict[str, str]:
    """The ``--env`` values as a mapping; exits naming the first that is not KEY=VALUE."""
    extra: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            sys.exit(f"--env wants KEY=VALUE, not {pair!r}")
        extra[key] = value
    return extra


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: it drives the load. Install it with `apt-get install -y wrk` (Debian).")


@dataclass
class Wrk:
    """A wrk process whose CPU time is read from the kernel when it ends (wait4)."""

    command: list[str]
    out: Path
    echo: bool = True
    proc: subprocess.Popen[bytes] = field(init=False)
    started: float = field(init=False)
    wall: float = 0.0
    cpu: float = 0.0

    def start(self) -> Wrk:
        if self.echo:
            print("  $ " + " ".join(self.command), flush=True)
        self.started = time.monotonic()
        with self.out.open("wb") as out:
            self.proc = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT)
        return self

    def _reap(self, options: int) -> bool:
        """wait4 rather than Popen.poll/wait: it also gives the process's CPU time."""
        if self.proc.returncode is not None:
            return True
        pid, status, usage = os.wait4(self.proc.pid, options)
        if pid == 0:
            return False
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.wall = time.monotonic() - self.started
        self.cpu = usage.ru_utime + usage.ru_stime
        return True

    def running(self) -> bool:
        return not self._reap(os.WNOHANG)

    def wait(self) -> str:
        """Until wrk ends by itself (its -d has passed); its output."""
        self._reap(0)
        return self.out.read_text()

    def stop(self) -> str:
        """SIGINT makes wrk stop, print its summary and run the script's done()."""
        if self.running():
            self.proc.send_signal(signal.SIGINT)
        return self.wait()

    @property
    def cpu_share(self) -> float:
        """wrk's CPU seconds per wall second (1.0 = one core busy all the time)."""
        return self.cpu / self.wall if self.wall else float("nan")

    @property
    def share(self) -> str:
        return f"wrk CPU {self.cpu:.2f} s over {self.wall:.1f} s wall = {self.cpu_share:.1%} of one core"


def command(
    url: str,
    script: Path,
    *,
    threads: int,
    connections: int,
    duration: float,
    args: list[str],
    timeout: str = "30s",
) -> list[str]:
    """A wrk command line: `script` gets `args` (after `--`); answers slower than `timeout` count as errors."""
    return [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration:g}s",
        "--timeout",
        timeout,
        "-s",
        str(script),
        url,
        "--",
        *args,
    ]


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def field_lines(text: str, prefix: str) -> list[dict[str, str]]:
    """Every `PREFIX key=value ...` line of wrk's output as a dict (values may be empty)."""
    found = []
    for line in text.splitlines():
        if line.startswith(prefix + " "):
            found.append(dict(part.split("=", 1) for part in line.split()[1:] if "=" in part))
    return found


def fields(text: str, prefix: str) -> dict[str, str]:
    """The last `PREFIX key=value ...` line (a summary printed once by done()); {} when there is none."""
    lines = field_lines(text, prefix)
    return lines[-1] if lines else {}


def wrk_said(text: str, limit: int = 1500) -> str:
    """wrk's own lines (not the script's), for an error message."""
    return " | ".join(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("WRK-"))[
        :limit
    ]


@dataclass
class Stats:
    """One wrk run as bench/wrkstats.lua reports it."""

    requests: int  # answers wrk read (all statuses)
    seconds: float  # wrk's run time
    socket_errors: int  # connect + read + write + timeout
    statuses: Counter[int]  # the measured requests' statuses, counted by the script
    step_failures: Counter[int]  # statuses of preliminary steps that failed (the script counts them negative)
    p50_ms: float
    p99_ms: float
    used: dict[int, int]  # thread id -> one-shot tokens handed out by that thread
    exhausted: int  # threads that ran out of one-shot tokens and stopped early
    latency_from: str  # "wrk" (its histogram, every answer) or "lua" (the script's own clock, measured requests)
    not_modified_ok: bool = False  # a revalidation run: 304 counts as success

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300 or (self.not_modified_ok and s == 304))

    @property
    def rate(self) -> float:
        """Successful (2xx) measured requests per second: refusals and errors do not count."""
        return self.ok / self.seconds if self.seconds else float("nan")

    def count(self, low: int, high: int) -> int:
        return sum(n for status, n in self.statuses.items() if low <= status < high)

    @property
    def not_ok(self) -> int:
        """Measured answers that are not a success (not 2xx; not 2xx or 304 in a revalidation run)."""
        return sum(self.statuses.values()) - self.ok


def read_stats(text: str, *, lua_latency: bool = False, not_modified_ok: bool = False) -> Stats:
    """Parse the WRK-SUMMARY and WRK-THREAD lines.

    p50/p99 come from wrk's histogram (every answer), or with `lua_latency` from the script's own latencies
    (successful measured requests; NaN when there are none). With `not_modified_ok`, 304 counts as a success
    (a revalidation run)."""
    summary = fields(text, "WRK-SUMMARY")
    if not summary:
        raise RuntimeError("wrk printed no WRK-SUMMARY line: " + wrk_said(text))
    statuses: Counter[int] = Counter()
    step_failures: Counter[int] = Counter()
    latencies: list[float] = []
    used: dict[int, int] = {}
    exhausted = 0
    for thread in field_lines(text, "WRK-THREAD"):
        for pair in filter(None, thread.get("statuses", "").split(",")):
            status, count = (int(v) for v in pair.split(":"))
            if status < 0:
                step_failures[-status] += count
            else:
                statuses[status] += count
        latencies.extend(float(v) for v in filter(None, thread.get("lat", "").split(",")))
        used[int(thread["id"])] = int(thread.get("used", "0"))
        exhausted += int(thread.get("exhausted", "0"))
    if lua_latency:
        p50, p99, latency_from = percentile(latencies, 50), percentile(latencies, 99), "lua"
    else:
        p50, p99, latency_from = int(summary["p50_us"]) / 1000, int(summary["p99_us"]) / 1000, "wrk"
    return Stats(
        requests=int(summary["requests"]),
        seconds=int(summary["duration_us"]) / 1e6,
        socket_errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
        statuses=statuses,
        step_failures=step_failures,
        p50_ms=p50,
        p99_ms=p99,
        used=used,
        exhausted=exhausted,
        latency_from=latency_from,
        not_modified_ok=not_modified_ok,
    )
