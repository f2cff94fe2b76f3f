"""The only source of "now": aware UTC, replaceable in tests without sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_fixed: datetime | None = None


def now() -> datetime:
    """Current time, aware UTC (or the time a test set)."""
    return _fixed if _fixed is not None else datetime.now(UTC)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Hold "now" at ``at`` for every thread until the block ends (tests, `run-job --now`)."""
    global _fixed  # noqa: PLW0603 - one process-wide clock by design
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _fixed = _fixed, at.astimezone(UTC)
    try:
        yield
    finally:
        _fixed = previous


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward (tests)."""
    global _fixed  # noqa: PLW0603
    if _fixed is None:
        raise RuntimeError("advance() needs a frozen clock")
    _fixed += delta
