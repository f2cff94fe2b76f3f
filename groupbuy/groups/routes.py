"""Group doors: a leader opens a group; anyone sees its page and share QR code; the shopper's deal list and deal
page (tagged catalog in the API document), which show the shopper's leader's group for each deal."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import current_user_id, optional_caller, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.catalog.schemas import DealSearchQuerySchema
from groupbuy.common.http_cache import cacheable
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.common.qr import qr_response
from groupbuy.groups import pages, service
from groupbuy.groups.schemas import (
    DealDetailSchema,
    GroupOpenSchema,
    GroupSchema,
    LeaderGroupQuerySchema,
    LeaderGroupSchema,
)
from groupbuy.groups.service import DealWithGroup, GroupView, LeaderGroupView

blp = Blueprint("groups", __name__, url_prefix="/api/v1", description="Leader groups and share codes")


@blp.route("/leader/groups")
class LeaderGroups(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(GroupOpenSchema())
    @blp.response(201, GroupSchema)
    @blp.alt_response(200, schema=GroupSchema, description="the group already existed")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> tuple[GroupView, int]:
        """Open my group for a deal (idempotent: the same deal returns the same group)."""
        group, created = service.open_leader_group(user_id=current_user_id(), deal_id=data["deal_id"], now=clock.now())
        return service.view_group(group), 201 if created else 200

    @require_roles(Role.LEADER)
    @blp.arguments(LeaderGroupQuerySchema(), location="query")
    @blp.response(200, page_of(LeaderGroupSchema))
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, query: dict[str, Any]) -> Page[LeaderGroupView]:
        """My groups, optionally by status: open first (soonest cutoff), with progress and countdown."""
        return service.list_leader_groups(
            user_id=current_user_id(),
            status=query.get("status"),
            page=query["page"],
            page_size=query["page_size"],
            now=clock.now(),
        )


@blp.route("/groups/<int:group_id>")
class GroupById(MethodView):
    @blp.response(200, GroupSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, group_id: int) -> Response:
        """The group page: deal, leader, units so far, threshold, cutoff, status, share link (ETag, public; units
        may lag by up to GROUPBUY_READ_CACHE_SECONDS)."""
        cacheable(personal=False)
        return pages.group_page(group_id=group_id)


@blp.route("/groups/<int:group_id>/qr.<any(png, svg):fmt>")
class GroupQr(MethodView):
    @blp.response(200, content_type="image/png", description="PNG or SVG (by extension)")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, group_id: int, fmt: str) -> Response:
        """The share link as a QR code (cacheable)."""
        return qr_response(service.get_group(group_id=group_id).share_url, fmt)


def my_leader_id() -> int | None:
    """The caller's chosen leader, if a valid token came with the request (deal pages show that group)."""
    caller = optional_caller()
    # A signed-in caller's answer carries their leader's group: private; an anonymous one is the same for all.
    cacheable(personal=caller is not None, vary=("Authorization",))
    return caller.current_leader_id if caller else None


@blp.route("/deals", tags=["catalog"])
class Deals(MethodView):
    @blp.arguments(DealSearchQuerySchema(), location="query")
    @blp.response(200, pages.DEAL_PAGE_SCHEMA)
    def get(self, args: dict[str, Any]) -> Page[DealWithGroup] | Response:
        """Deals on sale now: with `q`, title matches first, then description matches; then standing (the deal's
        rating, its leader's rating and credit), then closing soonest, newest. Stock counts and groups' progress
        may lag by up to GROUPBUY_READ_CACHE_SECONDS; checkout is the authority."""
        return pages.deal_list(
            q=args.get("q"),
            category_id=args.get("category"),
            page=args["page"],
            page_size=args["page_size"],
            now=clock.now(),
            leader_id=my_leader_id(),
        )


@blp.route("/deals/<int:deal_id>", tags=["catalog"])
class DealById(MethodView):
    @blp.response(200, DealDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, deal_id: int) -> Response:
        """A deal's page, also before it opens and after it closes (`status`: upcoming, on_sale, closed, cancelled).
        The stock count and the group's progress may lag by up to GROUPBUY_READ_CACHE_SECONDS."""
        return pages.deal_page(deal_id=deal_id, now=clock.now(), leader_id=my_leader_id())
