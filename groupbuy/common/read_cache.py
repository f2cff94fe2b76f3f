"""The shared cache of the hot public read models: the deal page, the first pages of the deal list, the group page.

An entry is the finished JSON body of the *anonymous* answer and its ETag, kept with the catalog version it was
built under and the time it stays fresh until. A lookup reads the current version and the entry together (one
``MGET`` on Redis) and uses the entry only while the version is still current and it is still fresh, so:

- a write that changes what a shopper sees apart from the stock count (price, window, status, content, member
  prices, a deal selling out or coming back in stock) calls :func:`changed`; the version is bumped once its
  transaction commits and every entry built before is dead at once, on every worker and host;
- stock counts, group progress and countdowns may lag by at most ``GROUPBUY_READ_CACHE_SECONDS`` (default 1 s),
  and an entry never outlives the next start or cutoff among the deals it could show (``fresh_until``);
- checkout never reads this cache: it is the only authority on stock.

A signed-in caller's answer is the anonymous body with their own part put in by the door (groupbuy/groups/pages.py):
their leader's groups, kept beside it as a ``part`` of the same lookup.

The backend is Flask-Caching: Redis when ``GROUPBUY_REDIS_URL`` is set (one cache for all workers and hosts), else
one in-process cache per worker, whose versions are its own; without Redis a write on one worker reaches the other
workers' copies when they expire, within the same bound. A Redis that fails is logged and read around (the
answer is built from the database); ``GROUPBUY_READ_CACHE_SECONDS=0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, cast

import structlog
from flask import Flask, Response, current_app
from flask_caching import Cache
from redis.exceptions import RedisError

from groupbuy import clock
from groupbuy.db import on_commit
from groupbuy.settings import Settings, settings

VERSION_KEY = "catalog:v"
_KEEP_SECONDS = 300  # how long a dead entry may sit in the store before it is dropped (it is never served)

_CACHE_DOWN = (RedisError, OSError)

cache = Cache()
log = structlog.get_logger(__name__)

# What build() returns: the JSON-ready anonymous body and, if any, the next time a deal in it changes phase.
Built = tuple[Any, datetime | None]


def init_read_cache(app: Flask, config: Settings) -> None:
    backend: dict[str, Any]
    if config.redis_url:
        backend = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config.redis_url, "CACHE_KEY_PREFIX": "gb:read:"}
    else:
        backend = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 5000}
    cache.init_app(app, config={**backend, "CACHE_DEFAULT_TIMEOUT": _KEEP_SECONDS})


def changed() -> None:
    """What shoppers see has changed: bump the version once this unit of work commits (all entries die)."""
    on_commit("read_cache.version", _bump)


def _bump() -> None:
    # A fresh random version rather than a counter: a version key lost from the store (evicted, Redis restarted)
    # can never come back as a value some old entry was built under.
    try:
        cache.cache.set(VERSION_KEY, secrets.randbits(62) + 1, timeout=0)  # 0: kept until replaced
    except _CACHE_DOWN as exc:  # the entries still die within their freshness bound
        log.error("read_cache.bump_failed", error=type(exc).__name__)


def clear() -> None:
    """Drop every entry and version (tests, and `flask` shells after hand edits)."""
    cache.cache.clear()


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


class Kept(NamedTuple):
    body: bytes  # the anonymous JSON body
    etag: str
    part: Any = None  # the caller's part, when one was asked for
    index: Any = None  # what index() picked from the body


Index = Callable[[Any], Any]


# A caller's part of kept pages (their leader's groups, say): its key, and how to build it.
Part = tuple[str, Callable[[], Any]]


def kept(key: str, build: Callable[[], Built], part: Part | None = None, index: Index | None = None) -> Kept:
    """The anonymous JSON body of ``key`` and its ETag, and the caller's ``part`` if asked: each from the cache
    while current and fresh, else built; all of it read in one round trip. ``index`` picks what the doors need
    to know of the body without parsing it (the deal ids on a page), kept with it. An exception from a builder,
    a 404 say, passes through and stores nothing."""
    ttl = settings().read_cache_seconds
    if ttl <= 0:
        return _fresh(build, part, index)
    now = clock.now().timestamp()
    keys = (VERSION_KEY, key, part[0]) if part else (VERSION_KEY, key)
    try:
        version, entry, *part_entry = cache.cache.get_many(*keys)
    except _CACHE_DOWN as exc:  # a cache that fails must not fail the read
        log.warning("read_cache.read_failed", error=type(exc).__name__)
        return _fresh(build, part, index)
    version = version or 0
    if entry is not None and entry[0] == version and now < entry[1]:
        body, tag, found = entry[2], entry[3], entry[4]
    else:
        payload, next_change = build()
        body, tag = _render(payload)
        found = index(payload) if index else None
        fresh_until = now + ttl if next_change is None else min(now + ttl, next_change.timestamp())
        _store(key, (version, fresh_until, body, tag, found), ttl)
    if part is None:
        return Kept(body, tag, index=found)
    mine = part_entry[0]
    if mine is not None and mine[0] == version and now < mine[1]:
        return Kept(body, tag, mine[2], found)
    value = part[1]()
    _store(part[0], (version, now + ttl, value), ttl)
    return Kept(body, tag, value, found)


def _fresh(build: Callable[[], Built], part: Part | None, index: Index | None) -> Kept:
    payload = build()[0]
    body, tag = _render(payload)
    return Kept(body, tag, part[1]() if part else None, index(payload) if index else None)


def _store(key: str, entry: tuple[Any, ...], ttl: float) -> None:
    try:
        cache.cache.set(key, entry, timeout=_KEEP_SECONDS + math.ceil(ttl))
    except _CACHE_DOWN as exc:
        log.warning("read_cache.write_failed", error=type(exc).__name__)


def _render(payload: Any) -> tuple[bytes, str]:
    body = cast(Response, current_app.json.response(payload)).get_data()
    return body, _etag(body)


def json_response(body: bytes, etag: str | None = None) -> Response:
    """A 200 with a finished JSON body (flask-smorest passes a Response through without dumping it again)."""
    response = current_app.response_class(body, mimetype=current_app.json.mimetype)  # type: ignore[attr-defined]
    if etag is not None:
        response.set_etag(etag)
    return response
