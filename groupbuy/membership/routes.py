"""Membership doors: the shopper's membership; customer service grants a tier (audited)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.membership import service
from groupbuy.membership.schemas import MembershipSchema, StandingSchema, TierGrantSchema
from groupbuy.membership.service import Standing

blp = Blueprint("membership", __name__, url_prefix="/api/v1", description="Membership tiers and benefits")


@blp.route("/me/membership")
class MyMembership(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, MembershipSchema)
    def get(self) -> dict[str, Any]:
        """My tier, the spend behind it, progress to the next tier and the benefits (names in zh and en)."""
        return service.my_membership(user_id=current_user_id(), now=clock.now())


@blp.route("/cs/members/<int:user_id>/tier")
class MemberTierGrant(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(TierGrantSchema())
    @blp.response(200, StandingSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any], user_id: int) -> Standing:
        """Grant a shopper a tier over the one they earned, until a time or until taken back (audited)."""
        return service.grant_tier(
            actor_id=current_user_id(),
            user_id=user_id,
            tier=body["tier"].value,
            reason=body["reason"],
            until=body["until"],
            now=clock.now(),
        )
