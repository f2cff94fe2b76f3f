"""A real threaded HTTP server on 127.0.0.1 for fake providers, plus the faults they can be told to inject."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        """No access log: tests read the fakes' call records instead."""


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextmanager
def serving(app: WsgiApp) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="fake-provider", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Fault:
    """What to do to the next matching request.

    kind "timeout": hold the answer longer than the client waits (after doing the work when
    ``after_processing``, the nasty case: the provider acted but we never heard). kind "error": answer
    ``status`` with the provider's error ``code``. kind "http_error": a bare ``status`` (a proxy's 502).
    kind "bad_signature": answer normally, signature broken.
    """

    kind: str
    endpoint: str | None = None  # only requests to this endpoint; None: any
    status: int = 500
    code: str = "SYSTEM_ERROR"
    message: str = "fake failure"
    after_processing: bool = True


class FaultPlan:
    """A queue of faults consumed by matching requests, and the event that frees hanging requests."""

    HANG_SECONDS = 5.0

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.released = threading.Event()

    def add(self, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._faults.extend(Fault(**vars(fault)) for _ in range(times))

    def take(self, endpoint: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.endpoint in (None, endpoint):
                    return self._faults.pop(index)
        return None

    def hang(self) -> None:
        """Block this request thread until released (test teardown) or HANG_SECONDS."""
        self.released.wait(self.HANG_SECONDS)
