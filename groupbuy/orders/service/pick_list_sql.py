"""The pick list rendered by PostgreSQL: the same JSON and CSV bytes as `pick_list` + `pick_list_formats`, from
one statement per answer, with Python only gluing the header to the fragments the database built.

Why: for a busy pickup point (bench/pick_list.py, 5,000 orders) the Python path spends most of its time building
and encoding some 15,000 dicts; here the rows never become Python objects. The reference stays the Python path
(SQLite, and the printable page); tests/orders/test_pick_list_parity.py holds the two byte for byte on a
fixture with refunds, shortages, deliveries, several deals and shoppers, and awkward names.

What each piece reproduces:
- masking: `mask_name` (``str.strip()`` takes off every ``str.isspace()`` character, passed in as ``:ws``) and
  `mask_phone` (``^1[3-9][0-9]{9}$`` where ``$`` also matches before one final newline), written without regular
  expressions;
- strings: ``to_json(text)`` escapes exactly as ``json.dumps(ensure_ascii=False)`` (``\\" \\\\ \\b \\f \\n \\r
  \\t``, other control characters as lower-case ``\\u00xx``, nothing else);
- CSV fields: quoted, with quotes doubled, when they hold a comma, a quote, CR or LF (``csv.QUOTE_MINIMAL``);
- order: deals by their smallest product name then id, orders by pickup code then id (the same ORDER BY as the
  reference, on the same collation), lines by id.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import text

from groupbuy.db import db
from groupbuy.leaders.service import get_active_leader
from groupbuy.orders.states import PICK_LIST_STATES
from groupbuy.settings import settings

WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())  # what str.strip() takes off


@dataclass(frozen=True)
class RenderedPickList:
    """A pick list's header figures and its two bodies, already rendered (JSON arrays' items, or CSV rows)."""

    pickup_date: date
    pickup_point_name: str
    total_units: int
    total_orders: int
    deals: str
    shoppers: str


def _csv(value: str) -> str:
    """A CSV field as csv.writer writes it (QUOTE_MINIMAL, doubled quotes); ``value`` is a column, read once."""
    return (
        f"CASE WHEN strpos({value}, ',') > 0 OR strpos({value}, '\"') > 0 OR strpos({value}, E'\\r') > 0"
        f" OR strpos({value}, E'\\n') > 0 THEN '\"' || replace({value}, '\"', '\"\"') || '\"' ELSE {value} END"
    )


def _json(value: str) -> str:
    """A JSON string (or null) as json.dumps(ensure_ascii=False) writes it."""
    return f"coalesce(to_json({value}::text)::text, 'null')"


# The leader's active lines of paid, live orders that day; per deal; per order with its shopper (or, for a
# delivery with an address, its recipient), trimmed, then masked. Every step is MATERIALIZED so that each
# expression runs once per row rather than once per use (PostgreSQL inlines a column's expression wherever the
# column is read).
_DELIVERY = "o.fulfilment = 'delivery' AND json_typeof(o.address) = 'object' AND o.address::jsonb <> '{}'"
_MOBILE = (
    "left(phone, 1) = '1' AND substr(phone, 2, 1) IN ('3', '4', '5', '6', '7', '8', '9')"
    " AND ltrim(left(phone, 11), '0123456789') = ''"
    " AND (length(phone) = 11 OR (length(phone) = 12 AND right(phone, 1) = E'\\n'))"
)
_COMMON = f"""
WITH day_orders AS MATERIALIZED (
    SELECT id, order_no, pickup_code, status, fulfilment, address, user_id FROM orders
    WHERE leader_id = :leader_id AND pickup_date = :pickup_date AND status = ANY(:states)
), picked AS MATERIALIZED (
    SELECT l.order_id, l.id, l.deal_id, l.quantity - l.refunded_quantity AS units, l.product_name, l.spec
    FROM day_orders o JOIN order_lines l ON l.order_id = o.id
    WHERE l.status = 'active'
), deals AS MATERIALIZED (
    SELECT deal_id, min(product_name)::text AS product_name, min(spec)::text AS spec, sum(units) AS units,
           count(DISTINCT order_id) AS orders
    FROM picked GROUP BY deal_id
), people AS MATERIALIZED (
    SELECT o.id, o.order_no::text AS order_no, o.pickup_code::text AS pickup_code, o.status::text AS status,
           o.fulfilment::text AS fulfilment, p.units, p.lines,
           btrim(coalesce(CASE WHEN {_DELIVERY} THEN o.address ->> 'recipient' ELSE u.nickname END, ''), :ws) AS who,
           CASE WHEN {_DELIVERY} THEN o.address ->> 'phone' ELSE u.phone END AS phone
    FROM (SELECT order_id, sum(units) AS units, LINES FROM picked GROUP BY order_id) p
    JOIN day_orders o ON o.id = p.order_id JOIN users u ON u.id = o.user_id
), shoppers AS MATERIALIZED (
    SELECT id, order_no, pickup_code, status, fulfilment, units, lines,
           CASE WHEN who = '' THEN '' ELSE left(who, 1) || repeat('*', greatest(length(who) - 1, 1)) END AS name,
           CASE WHEN coalesce(phone, '') = '' THEN NULL WHEN {_MOBILE} THEN left(phone, 3) || '****' || right(phone, 4)
                ELSE repeat('*', greatest(length(phone) - 2, 0)) || right(phone, 2) END AS phone
    FROM people
)"""  # noqa: S608 - our own fragments; values are bound parameters

_JSON_LINES = """string_agg('{"deal_id":' || deal_id || ',"quantity":' || units || '}', ',' ORDER BY id) AS lines"""
_JSON = _COMMON.replace("LINES", _JSON_LINES) + (  # noqa: S608 - our own fragments; values are bound
    f"""
SELECT (SELECT coalesce(sum(units), 0) FROM deals), (SELECT count(*) FROM shoppers),
    (SELECT string_agg('{{"deal_id":' || deal_id || ',"product_name":' || {_json("product_name")}
        || ',"spec":' || {_json("spec")} || ',"units":' || units || ',"orders":' || orders || '}}',
        ',' ORDER BY product_name, deal_id) FROM deals),
    (SELECT string_agg('{{"order_id":' || id || ',"order_no":' || {_json("order_no")}
        || ',"pickup_code":' || {_json("pickup_code")} || ',"status":' || {_json("status")}
        || ',"fulfilment":' || {_json("fulfilment")} || ',"name":' || {_json("name")} || ',"phone":' || {_json("phone")}
        || ',"units":' || units || ',"lines":[' || lines || ']}}', ',' ORDER BY pickup_code, id) FROM shoppers)
"""  # noqa: S608
)

_CSV = _COMMON.replace("LINES", "NULL AS lines") + (  # noqa: S608 - as above
    f""", worded AS MATERIALIZED (
    SELECT s.id, s.pickup_code, s.order_no, s.name, coalesce(s.phone, '') AS phone,
           coalesce(w.word, s.status) AS word, coalesce(s.pickup_code, '') AS code
    FROM shoppers s LEFT JOIN unnest(CAST(:word_keys AS text[]), CAST(:word_values AS text[])) AS w(status, word)
         ON w.status = s.status
), fields AS MATERIALIZED (
    SELECT id, pickup_code, {_csv("code")} || ',' || {_csv("order_no")} || ',' || {_csv("name")} || ','
           || {_csv("phone")} || ',' || {_csv("word")} || ',' AS head
    FROM worded
), named AS MATERIALIZED (
    SELECT deal_id, product_name || ' ' || spec AS name FROM deals
), names AS MATERIALIZED (
    SELECT deal_id, {_csv("name")} AS name FROM named
)
SELECT (SELECT coalesce(sum(units), 0) FROM deals), (SELECT count(*) FROM shoppers),
    (SELECT string_agg({_csv("product_name")} || ',' || {_csv("spec")} || ',' || units || ',' || orders || E'\\r\\n',
        '' ORDER BY product_name, deal_id) FROM deals),
    (SELECT string_agg(f.head || n.name || ',' || p.units || E'\\r\\n', '' ORDER BY f.pickup_code, f.id, p.id)
     FROM picked p JOIN fields f ON f.id = p.order_id JOIN names n ON n.deal_id = p.deal_id)
"""  # noqa: S608
)


# A version of everything the rendered list is made of: the day's picking orders, their shoppers and all their
# lines. Any INSERT, UPDATE or DELETE of one of those rows changes a count or a row's xmin (every new row version
# has its writer's transaction id), so the sums of per-row hashes change with it.
_VERSION = """
WITH day_orders AS MATERIALIZED (
    SELECT id, user_id, xmin::text AS v FROM orders
    WHERE leader_id = :leader_id AND pickup_date = :pickup_date AND status = ANY(:states)
)
SELECT (SELECT count(*) || ':' || coalesce(sum(hashtextextended(o.v, o.id)), 0)
               || ':' || coalesce(sum(hashtextextended(u.xmin::text, u.id)), 0)
        FROM day_orders o JOIN users u ON u.id = o.user_id),
       (SELECT count(*) || ':' || coalesce(sum(hashtextextended(l.xmin::text, l.id)), 0)
        FROM day_orders o JOIN order_lines l ON l.order_id = o.id)
"""


class PickListCache:
    """The last rendered pick lists of this worker, each with the version of the rows it was rendered from."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._lists: OrderedDict[Hashable, tuple[Hashable, RenderedPickList]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> RenderedPickList | None:
        with self._lock:
            kept = self._lists.get(key)
            if kept is None or kept[0] != version:
                return None
            self._lists.move_to_end(key)
            return kept[1]

    def put(self, key: Hashable, version: Hashable, rendered: RenderedPickList) -> None:
        with self._lock:
            self._lists[key] = (version, rendered)
            self._lists.move_to_end(key)
            while len(self._lists) > self.entries:
                self._lists.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._lists.clear()


_CACHES: weakref.WeakKeyDictionary[Any, PickListCache] = weakref.WeakKeyDictionary()  # one per app
_CACHES_LOCK = threading.Lock()


def pick_list_cache() -> PickListCache | None:
    """This app's cache (one per worker process), or None when GROUPBUY_PICK_LIST_CACHE_ENTRIES is 0."""
    entries = settings().pick_list_cache_entries
    if not entries:
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _CACHES_LOCK:
        cache = _CACHES.get(app)
        if cache is None or cache.entries != entries:
            cache = _CACHES[app] = PickListCache(entries)
        return cache


def rendered_pick_list(
    *, user_id: int, pickup_date: date, as_csv: bool = False, status_words: Mapping[str, str] | None = None
) -> RenderedPickList | None:
    """My pick list rendered by the database (403 unless an active leader), or None when it is not PostgreSQL.

    JSON: ``deals`` and ``shoppers`` are the items of the two arrays, comma-separated. CSV: the deal rows and the
    order-line rows, each ending in CRLF, statuses in ``status_words``.
    """
    leader = get_active_leader(user_id=user_id)
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return None
    words = dict(status_words or {})
    params = {
        "leader_id": leader.id,
        "pickup_date": pickup_date,
        "states": sorted(state.value for state in PICK_LIST_STATES),
        "ws": WHITESPACE,
        "word_keys": list(words),
        "word_values": list(words.values()),
    }
    cache = pick_list_cache()
    key = (leader.id, pickup_date, as_csv, tuple(words.items()))
    version: Hashable = None
    if cache is not None:
        # The version is read before the list: a change committed in between makes the list kept newer than its
        # version, so the next request sees another version and renders again; a list older than its version,
        # which could be served stale, cannot happen.
        version = tuple(session.execute(text(_VERSION), params).one())
        kept = cache.get(key, version)
        if kept is not None:
            return replace(kept, pickup_point_name=leader.pickup_point_name)
    units, orders, deals, shoppers = session.execute(text(_CSV if as_csv else _JSON), params).one()
    rendered = RenderedPickList(
        pickup_date=pickup_date,
        pickup_point_name=leader.pickup_point_name,
        total_units=int(units),
        total_orders=int(orders),
        deals=deals or "",
        shoppers=shoppers or "",
    )
    if cache is not None:
        cache.put(key, version, rendered)
    return rendered
