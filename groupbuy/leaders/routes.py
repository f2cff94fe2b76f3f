"""HTTP doors for leaders: applications, staff decisions, nearby search, public pages, "my leader"."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.http_cache import cacheable
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.leaders import service
from groupbuy.leaders.models import Leader, LeaderApplication
from groupbuy.leaders.schemas import (
    ChooseLeaderSchema,
    LeaderApplicationCreateSchema,
    LeaderApplicationQuerySchema,
    LeaderApplicationSchema,
    LeaderApprovalSchema,
    LeaderCreditSchema,
    LeaderDetailSchema,
    LeaderPrivateSchema,
    LeaderProfileUpdateSchema,
    LeaderPublicSchema,
    LeaderReasonSchema,
    NearbyLeaderSchema,
    NearbyLeadersQuerySchema,
)

blp = Blueprint("leaders", __name__, url_prefix="/api/v1", description="Leaders, pickup points and credit")


@blp.route("/leader-applications")
class LeaderApplications(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(LeaderApplicationCreateSchema())
    @blp.response(201, LeaderApplicationSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> LeaderApplication:
        """Apply to run a pickup point (one pending application at a time; 409 if already a leader)."""
        licences = data.pop("licences")
        return service.submit_application(user_id=current_user_id(), fields=data, licences=licences, now=clock.now())


@blp.route("/leader-applications/<int:application_id>")
class LeaderApplicationById(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, LeaderApplicationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, application_id: int) -> LeaderApplication:
        """One application: its applicant and staff see it; anyone else gets 404."""
        user = current_user()
        return service.view_application(application_id=application_id, viewer_id=user.id, viewer_roles=user.role_names)


@blp.route("/me/leader-application")
class MyLeaderApplication(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, LeaderApplicationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self) -> LeaderApplication:
        """My latest leader application (404 if I never applied)."""
        return service.latest_application(user_id=current_user_id())


@blp.route("/admin/leader-applications")
class AdminLeaderApplications(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(LeaderApplicationQuerySchema(), location="query")
    @blp.response(200, page_of(LeaderApplicationSchema))
    def get(self, query: dict[str, Any]) -> Page[LeaderApplication]:
        """The application queue, oldest first, optionally by status."""
        return service.list_applications(status=query.get("status"), page=query["page"], page_size=query["page_size"])


@blp.route("/admin/leader-applications/<int:application_id>/approve")
class ApproveLeaderApplication(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(LeaderApprovalSchema())
    @blp.response(200, LeaderPrivateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], application_id: int) -> Leader:
        """Approve a pending application: an active leader with the leader role (audited; 409 if decided)."""
        return service.approve_application(
            application_id=application_id,
            actor_id=current_user_id(),
            commission_rate_bp=data.get("commission_rate_bp"),
            now=clock.now(),
        )


@blp.route("/admin/leader-applications/<int:application_id>/reject")
class RejectLeaderApplication(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(LeaderReasonSchema())
    @blp.response(200, LeaderApplicationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], application_id: int) -> LeaderApplication:
        """Reject a pending application with a reason the applicant sees (audited; 409 if decided)."""
        return service.reject_application(
            application_id=application_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now()
        )


@blp.route("/admin/leaders/<int:leader_id>/suspend")
class SuspendLeader(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(LeaderReasonSchema())
    @blp.response(200, LeaderPrivateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], leader_id: int) -> Leader:
        """Suspend a leader: off the map, not choosable, leader endpoints refuse on the next request (audited)."""
        return service.suspend_leader(
            leader_id=leader_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now()
        )


@blp.route("/admin/leaders/<int:leader_id>/reinstate")
class ReinstateLeader(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(LeaderReasonSchema())
    @blp.response(200, LeaderPrivateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], leader_id: int) -> Leader:
        """Lift a leader's suspension (audited)."""
        return service.reinstate_leader(
            leader_id=leader_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now()
        )


@blp.route("/leaders")
class NearbyLeaders(MethodView):
    @blp.arguments(NearbyLeadersQuerySchema(), location="query")
    @blp.response(200, page_of(NearbyLeaderSchema))
    def get(self, query: dict[str, Any]) -> service.NearbyPage:
        """Active pickup points within radius_m (default 3000, max 50000) of lat/lng, nearest first."""
        cacheable(personal=False)
        return service.find_nearby_leaders(
            lat=query["lat"],
            lng=query["lng"],
            radius_m=query["radius_m"],
            page=query["page"],
            page_size=query["page_size"],
        )


@blp.route("/leaders/<int:leader_id>")
class LeaderById(MethodView):
    @blp.response(200, LeaderDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, leader_id: int) -> service.LeaderDetail:
        """An active leader's pickup point with the credit breakdown (404 if suspended or unknown)."""
        cacheable(personal=False)
        return service.public_leader_detail(leader_id=leader_id)


@blp.route("/leaders/<int:leader_id>/credit")
class LeaderCredit(MethodView):
    @blp.response(200, LeaderCreditSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, leader_id: int) -> service.CreditReport:
        """An active leader's credit score and the ledger lines it is the sum of."""
        return service.public_credit(leader_id=leader_id)


@blp.route("/me/leader")
class MyLeader(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, LeaderPublicSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self) -> Leader:
        """The leader I shop with (404 if none chosen or no longer active)."""
        return service.my_leader(user_id=current_user_id())

    @require_roles(*SIGNED_IN)
    @blp.arguments(ChooseLeaderSchema())
    @blp.response(200, LeaderPublicSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, data: dict[str, Any]) -> Leader:
        """Choose "my leader"; only an active leader can be chosen (404 otherwise)."""
        return service.choose_my_leader(user_id=current_user_id(), leader_id=data["leader_id"], now=clock.now())


@blp.route("/leader/me")
class LeaderMe(MethodView):
    @require_roles(Role.LEADER)
    @blp.response(200, LeaderPrivateSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self) -> Leader:
        """My own leader record (403 leader_suspended while suspended)."""
        return service.get_active_leader(user_id=current_user_id())

    @require_roles(Role.LEADER)
    @blp.arguments(LeaderProfileUpdateSchema())
    @blp.response(200, LeaderPrivateSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def patch(self, data: dict[str, Any]) -> Leader:
        """Set my opening hours, pause taking orders, offer home delivery with a fee and a radius."""
        return service.update_leader_profile(user_id=current_user_id(), changes=data, now=clock.now())
