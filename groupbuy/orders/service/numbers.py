"""Order numbers and pickup codes: random, so neither reveals other orders or the order id."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def new_order_no(now: datetime) -> str:
    """GB + the Shanghai date + 10 random digits (e.g. GB202611220123456789); unique by constraint."""
    return f"GB{now.astimezone(SHANGHAI):%Y%m%d}{secrets.randbelow(10**10):010d}"


def new_pickup_code() -> str:
    """8 random digits; unique per leader and pickup date by constraint."""
    return f"{secrets.randbelow(10**8):08d}"
