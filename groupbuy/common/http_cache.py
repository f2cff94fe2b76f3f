"""HTTP caching of public reads: one after-request step gives the marked answers an ETag, a 304 on a matching
``If-None-Match`` and their Cache-Control and Vary headers.

A read door calls ``cacheable(personal=...)`` before it answers. Only a 200 to a GET or HEAD is touched; an error
answer keeps whatever it had. ``personal`` answers (a signed-in caller's deal list with their group progress) are
``private, max-age=0, must-revalidate``: a shared cache never keeps them, the browser asks again each time and
gets a 304 while nothing changed. Anonymous answers are ``public, max-age=GROUPBUY_PUBLIC_CACHE_MAX_AGE_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, g, request

from groupbuy.settings import settings

PRIVATE = "private, max-age=0, must-revalidate"


def cacheable(*, personal: bool, vary: Iterable[str] = ()) -> None:
    """Mark this request's answer as cacheable; ``vary`` names the request headers the body depends on."""
    g.http_cache = (personal, ("Accept-Language", *vary))


def public_cache_control() -> str:
    return f"public, max-age={settings().public_cache_max_age_seconds}"


def install_http_cache(app: Flask) -> None:
    @app.after_request
    def _conditional(response: Response) -> Response:
        marked: tuple[bool, tuple[str, ...]] | None = g.get("http_cache")
        if marked is None or response.status_code != 200 or request.method not in ("GET", "HEAD"):
            return response
        personal, vary = marked
        for name in vary:
            response.vary.add(name)
        response.headers["Cache-Control"] = PRIVATE if personal else public_cache_control()
        response.add_etag()
        response.make_conditional(request)  # 304 with no body when If-None-Match matches
        return response
