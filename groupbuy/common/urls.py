"""Links we hand out are absolute, on GROUPBUY_PUBLIC_BASE_URL (a client may open them outside the API)."""

from __future__ import annotations

from flask import current_app


def absolute_url(path: str) -> str:
    """``/api/v1/...`` -> ``{PUBLIC_BASE_URL}/api/v1/...``."""
    return f"{str(current_app.config['PUBLIC_BASE_URL']).rstrip('/')}/{path.lstrip('/')}"
