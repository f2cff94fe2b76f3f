"""Links we hand out are absolute, on GROUPBUY_PUBLIC_BASE_URL (a client may open them outside the API)."""

from __future__ import annotations

from groupbuy.settings import settings


def absolute_url(path: str) -> str:
    """``/api/v1/...`` -> ``{PUBLIC_BASE_URL}/api/v1/...``."""
    return f"{settings().public_base_url.rstrip('/')}/{path.lstrip('/')}"
