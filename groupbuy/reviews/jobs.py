"""Scheduled review work: ratings age out of their window, credit moves on its own; recompute the figures."""

from __future__ import annotations

from datetime import datetime

from groupbuy.db import transaction
from groupbuy.reviews import service


def refresh_review_figures(now: datetime) -> dict[str, int]:
    """Leader and deal ratings over the window, then every live deal's standing (safe twice: it recounts)."""
    with transaction():
        return service.refresh_all(now=now)
