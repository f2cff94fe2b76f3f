"""A small closed-loop HTTP load generator: N clients on asyncio streams, fixed duration.

Each client repeatedly asks ``plan(client_index, seq)`` for the steps of one iteration, sends them in order
and records (status, latency) of the measured step. Requests are written as raw HTTP/1.1 bytes and the
response is read by Content-Length, so the generator spends far less CPU per request than http.client in
threads did: on a 2-core machine the servers under test, not the load, get the cores. Used by
bench/checkout.py; clients may be spread over several processes.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import statistics
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
        """Successful (2xx) measured requests per second: refusals and errors do not count as orders."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300) / self.seconds

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(p / 100 * len(data)))]

    def summary(self) -> str:
        return (
            f"{self.rate:8.1f} ok/s  p50 {self.percentile(50):6.1f} ms  p99 {self.percentile(99):6.1f} ms  "
            f"mean {statistics.fmean(self.latencies_ms or [0]):6.1f} ms  statuses {dict(self.statuses)}"
        )


def _encode(host: str, port: int, method: str, path: str, headers: dict[str, str], body: Any) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(data)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


class _Connection:
    """One keep-alive connection that reconnects when the server closes it (gunicorn sync workers do)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lowered = name.lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _clients(host: str, port: int, plan: Plan, first: int, count: int, duration: float) -> tuple[Any, ...]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    iterations = 0
    deadline = time.monotonic() + duration

    async def client(index: int) -> None:
        nonlocal iterations
        conn = _Connection(host, port)
        seq = 0
        while time.monotonic() < deadline:
            for method, path, headers, body, measured in plan(index, seq):
                raw = _encode(host, port, method, path, headers, body)
                started = time.perf_counter()
                try:
                    status = await conn.send(raw)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    conn.close()
                    status = 599
                if measured:
                    latencies.append((time.perf_counter() - started) * 1000)
                    statuses[status] += 1
            seq += 1
            iterations += 1
        conn.close()

    await asyncio.gather(*(client(first + i) for i in range(count)))
    return iterations, latencies, dict(statuses)


def _worker(host: str, port: int, plan: Plan, first: int, count: int, duration: float, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    queue.put(asyncio.run(_clients(host, port, plan, first, count, duration)))


def run_load(host: str, port: int, plan: Plan, *, clients: int, processes: int, duration: float) -> Result:
    """Drive ``plan`` with ``clients`` concurrent clients spread over ``processes`` asyncio processes."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    per = clients // processes
    procs = [
        ctx.Process(target=_worker, args=(host, port, plan, i * per, per, duration, queue)) for i in range(processes)
    ]
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    total: Counter[int] = Counter()
    latencies: list[float] = []
    for _, lat, stats in parts:
        latencies += lat
        total.update(stats)
    # clients stop at the deadline: the rate is per configured second
    return Result(iterations=sum(p[0] for p in parts), seconds=duration, latencies_ms=latencies, statuses=total)
