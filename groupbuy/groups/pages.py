"""The deal list, the deal page and the group page as their doors send them, through the shared read cache
(groupbuy/common/read_cache.py): the anonymous body is kept; a signed-in caller's part, their leader's group for
every deal on the page, is read in one statement and filled in."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Response
from sqlalchemy import bindparam, select

from groupbuy.catalog.models import Deal
from groupbuy.catalog.service import next_phase_change, next_phase_change_of
from groupbuy.common import read_cache
from groupbuy.common.pagination import Page, page_of
from groupbuy.common.read_cache import Built
from groupbuy.db import connection
from groupbuy.groups import service
from groupbuy.groups.models import Group
from groupbuy.groups.schemas import DealCardSchema, DealDetailSchema, GroupSchema
from groupbuy.groups.service import DealWithGroup

KEPT_LIST_PAGES = 5  # the first pages of the deal list (per category and page size) go through the read cache
DEAL_PAGE_SCHEMA = page_of(DealCardSchema)
_DEAL_PAGE = DEAL_PAGE_SCHEMA()
_DEAL_DETAIL = DealDetailSchema()
_GROUP = GroupSchema()

_SHOWN = ("deal_id", "id", "status", "units_reserved", "units_paid")
_PROGRESS = select(*(getattr(Group, name) for name in _SHOWN)).where(
    Group.leader_id == bindparam("leader_id"), Group.deal_id.in_(bindparam("deal_ids", expanding=True))
)
_RECENT_PROGRESS = (
    select(*(getattr(Group, name) for name in _SHOWN))
    .join(Deal, Deal.id == Group.deal_id)
    .where(Group.leader_id == bindparam("leader_id"), Deal.cutoff_at > bindparam("since"))
)
RECENT = timedelta(days=2)  # a leader's groups kept together: those of deals on sale or closed since


def _shown(rows: Iterable[Any]) -> dict[int, bytes]:
    """Groups as the deal answers show them (``GroupProgressSchema``), by deal, each already as its JSON: a
    leader's kept groups are rendered once, not once per page that shows them."""
    return {
        row.deal_id: _compact(
            {
                "id": row.id,
                "status": row.status.value,
                "units_ordered": row.units_reserved,
                "units_paid": row.units_paid,
            }
        )
        for row in rows
    }


def group_progress_of(leader_id: int, deal_ids: list[int]) -> dict[int, bytes]:
    """The leader's groups for these deals, by deal, in one statement and without loading objects."""
    if not deal_ids:
        return {}
    return _shown(connection().execute(_PROGRESS, {"leader_id": leader_id, "deal_ids": deal_ids}))


def recent_progress_of(leader_id: int, now: datetime) -> tuple[float, dict[int, bytes]]:
    """The leader's groups for every deal whose cutoff is after ``now - RECENT`` (a deal such a page shows), and
    that moment: one entry per leader serves all their neighbours' deal pages and list pages."""
    since = now - RECENT
    rows = connection().execute(_RECENT_PROGRESS, {"leader_id": leader_id, "since": since})
    return since.timestamp(), _shown(rows)


_NO_GROUP = b'"group":null'  # each deal's group in an anonymous body: exactly once per deal, in page order
_NULL = b"null"


def _answer(
    key: str, build: Callable[[], Built], leader_id: int | None, now: datetime, items: Callable[[Any], list[Any]]
) -> Response:
    """The kept page of ``key``; for a caller with a leader, with that leader's group for each deal on it, from the
    leader's kept recent groups (a deal older than those is read directly)."""

    def index(payload: Any) -> list[tuple[int, float]]:  # (deal id, cutoff) in page order
        return [(item["id"], datetime.fromisoformat(item["cutoff_at"]).timestamp()) for item in items(payload)]

    if leader_id is None:  # the index is kept too, for the signed-in callers who come next
        found = read_cache.kept(key, build, index=index)
        return read_cache.json_response(found.body, found.etag)
    # The key names the format: workers of an older release, sharing the cache during a deploy, kept dicts here.
    part = (f"leader:{leader_id}:group-json", lambda: recent_progress_of(leader_id, now))
    found = read_cache.kept(key, build, part=part, index=index)
    since, groups = found.part
    deals = found.index if found.index is not None else index(json.loads(found.body))  # an entry kept without one
    older = [deal_id for deal_id, cutoff in deals if cutoff <= since]
    known = {**groups, **group_progress_of(leader_id, older)} if older else groups
    # Put each group where the anonymous body says null: a JSON string cannot hold `"group":null` unescaped, so
    # the pieces are exactly the deals', in order; the bytes are those json.dumps gives for the merged page.
    pieces = found.body.split(_NO_GROUP)
    if len(pieces) != len(deals) + 1:
        raise RuntimeError(f"kept page {key} does not match its index")
    shown = [b'"group":' + known.get(deal_id, _NULL) for deal_id, _ in deals]
    return read_cache.json_response(
        b"".join(piece for pair in zip(pieces, [*shown, b""], strict=True) for piece in pair)
    )


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def deal_list(
    *, q: str | None, category_id: int | None, page: int, page_size: int, now: datetime, leader_id: int | None
) -> Page[DealWithGroup] | Response:
    """The deal list: its first pages kept, searches and deeper pages (the long tail) built each time."""
    if q or page > KEPT_LIST_PAGES:
        return service.list_deals_with_groups(
            q=q, category_id=category_id, page=page, page_size=page_size, now=now, leader_id=leader_id
        )

    def build() -> Built:
        found = service.list_deals_with_groups(
            q=None, category_id=category_id, page=page, page_size=page_size, now=now, leader_id=None
        )
        return _DEAL_PAGE.dump(found), next_phase_change(now=now)

    key = f"deals:{category_id or 0}:{page}:{page_size}"
    return _answer(key, build, leader_id, now, lambda payload: payload["items"])


def deal_page(*, deal_id: int, now: datetime, leader_id: int | None) -> Response:
    """A deal's page (404 for a deal shoppers cannot see)."""

    def build() -> Built:
        view = service.get_deal_with_group(deal_id=deal_id, now=now, leader_id=None)
        return _DEAL_DETAIL.dump(view), next_phase_change_of(view.deal, now=now)

    return _answer(f"deal:{deal_id}", build, leader_id, now, lambda payload: [payload])


def group_page(*, group_id: int) -> Response:
    """A group's public page (404 for an unknown group)."""
    found = read_cache.kept(f"group:{group_id}", lambda: (_GROUP.dump(service.get_group(group_id=group_id)), None))
    return read_cache.json_response(found.body, found.etag)
