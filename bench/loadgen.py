"""A small closed-loop HTTP load generator: N client processes x threads, keep-alive, fixed duration.

Each client repeatedly builds a request with `make_request(client_index, seq)` (a module-level function named
by the caller), sends it, and records (status, latency of the measured request). Used by bench/checkout.py.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# A step is (method, path, headers, body or None, measured?). One iteration may send several steps.
Step = tuple[str, str, dict[str, str], Any, bool]
Plan = Callable[[int, int], list[Step]]


@dataclass
class Result:
    iterations: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter  # type: ignore[type-arg]

    @property
    def rate(self) -> float:
        return self.iterations / self.seconds

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(p / 100 * len(data)))]

    def summary(self) -> str:
        return (
            f"{self.rate:8.1f} it/s  p50 {self.percentile(50):6.1f} ms  p99 {self.percentile(99):6.1f} ms  "
            f"mean {statistics.fmean(self.latencies_ms or [0]):6.1f} ms  statuses {dict(self.statuses)}"
        )


def _worker(
    host: str, port: int, plan: Plan, first_client: int, threads: int, duration: float, queue: mp.Queue
) -> None:  # type: ignore[type-arg]
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    iterations = [0]
    deadline = time.monotonic() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        seq = 0
        while time.monotonic() < deadline:
            for method, path, headers, body, measured in plan(index, seq):
                data = json.dumps(body).encode() if body is not None else None
                hdrs = {"Content-Type": "application/json", **headers} if data else headers
                started = time.perf_counter()
                try:
                    conn.request(method, path, body=data, headers=hdrs)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                    status = 599
                elapsed = (time.perf_counter() - started) * 1000
                if measured:
                    with lock:
                        latencies.append(elapsed)
                        statuses[status] += 1
            seq += 1
            with lock:
                iterations[0] += 1
        conn.close()

    pool = [threading.Thread(target=client, args=(first_client + i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((iterations[0], latencies, dict(statuses)))


def run_load(host: str, port: int, plan: Plan, *, clients: int, processes: int, duration: float) -> Result:
    """Drive ``plan`` with ``clients`` concurrent keep-alive clients spread over ``processes``."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    per = clients // processes
    procs = [
        ctx.Process(target=_worker, args=(host, port, plan, i * per, per, duration, queue)) for i in range(processes)
    ]
    started = time.monotonic()
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    seconds = time.monotonic() - started
    total = Counter()  # type: ignore[var-annotated]
    latencies: list[float] = []
    for _, lat, stats in parts:
        latencies += lat
        total.update(stats)
    del seconds  # clients stop at the deadline: the rate is per configured second
    return Result(iterations=sum(p[0] for p in parts), seconds=duration, latencies_ms=latencies, statuses=total)
