"""The deal list, the deal page and the group page as their doors send them, through the shared read cache
(groupbuy/common/read_cache.py): the anonymous body is kept; a signed-in caller's part, their leader's group for
every deal on the page, is read in one statement and filled in."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response
from sqlalchemy import bindparam, select

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

_PROGRESS = select(Group.deal_id, Group.id, Group.status, Group.units_reserved, Group.units_paid).where(
    Group.leader_id == bindparam("leader_id"), Group.deal_id.in_(bindparam("deal_ids", expanding=True))
)


def group_progress_of(leader_id: int, deal_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The leader's groups for these deals as the deal answers show them (``GroupProgressSchema``), by deal, in one
    statement and without loading objects."""
    if not deal_ids:
        return {}
    rows = connection().execute(_PROGRESS, {"leader_id": leader_id, "deal_ids": deal_ids})
    return {
        row.deal_id: {
            "id": row.id,
            "status": row.status.value,
            "units_ordered": row.units_reserved,
            "units_paid": row.units_paid,
        }
        for row in rows
    }


def _answer(key: str, build: Callable[[], Built], leader_id: int | None, items: Callable[[Any], list[Any]]) -> Response:
    """The kept page of ``key``; for a caller with a leader, with that leader's groups for the deals on it (kept
    beside the page, per leader, within the same bound)."""
    if leader_id is None:
        found = read_cache.kept(key, build)
        return read_cache.json_response(found.body, found.etag)

    def progress(body: bytes) -> dict[int, dict[str, Any]]:
        return group_progress_of(leader_id, [item["id"] for item in items(json.loads(body))])

    found = read_cache.kept(key, build, part=(f"{key}:leader:{leader_id}", progress))

    def fill(payload: Any) -> None:
        for item in items(payload):
            item["group"] = found.part.get(item["id"])

    return read_cache.personalised(found.body, fill)


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

    return _answer(f"deals:{category_id or 0}:{page}:{page_size}", build, leader_id, lambda payload: payload["items"])


def deal_page(*, deal_id: int, now: datetime, leader_id: int | None) -> Response:
    """A deal's page (404 for a deal shoppers cannot see)."""

    def build() -> Built:
        view = service.get_deal_with_group(deal_id=deal_id, now=now, leader_id=None)
        return _DEAL_DETAIL.dump(view), next_phase_change_of(view.deal, now=now)

    return _answer(f"deal:{deal_id}", build, leader_id, lambda payload: [payload])


def group_page(*, group_id: int) -> Response:
    """A group's public page (404 for an unknown group)."""
    body, etag = read_cache.cached_json(
        f"group:{group_id}", lambda: (_GROUP.dump(service.get_group(group_id=group_id)), None)
    )
    return read_cache.json_response(body, etag)
