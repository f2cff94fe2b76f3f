"""After-sale doors: the shopper's requests and escalation, the leader's answers, customer service's disputes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.aftersales import service
from groupbuy.aftersales.models import AfterSaleRequest, Dispute
from groupbuy.aftersales.schemas import (
    AfterSaleCreateSchema,
    AfterSaleQuerySchema,
    AfterSaleSchema,
    CaseSchema,
    DisputeQuerySchema,
    DisputeSchema,
    EscalateSchema,
    LeaderAfterSaleQuerySchema,
    RejectSchema,
    ResolveSchema,
)
from groupbuy.aftersales.service import Case, QueueEntry
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.idempotency.decorator import idempotent

blp = Blueprint("aftersales", __name__, url_prefix="/api/v1", description="After-sale requests and disputes")


@blp.route("/orders/<int:order_id>/after-sales")
class OrderAfterSales(MethodView):
    @require_roles(*SIGNED_IN)
    @idempotent(required=False, atomic=True)
    @blp.arguments(AfterSaleCreateSchema())
    @blp.response(201, AfterSaleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409,
        response="CONFLICT",
        description="order_not_received, after_sale_window_closed, after_sale_already_open, "
        "refund_exceeds_refundable, refund_exceeds_line",
    )
    def post(self, data: dict[str, Any], order_id: int) -> AfterSaleRequest:
        """Ask for after-sale help on lines of my received order (picked up, delivered or completed)."""
        return service.open_request(user_id=current_user_id(), order_id=order_id, now=clock.now(), **data)


@blp.route("/after-sales")
class MyAfterSales(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(AfterSaleQuerySchema(), location="query")
    @blp.response(200, page_of(AfterSaleSchema))
    def get(self, query: dict[str, Any]) -> Page[AfterSaleRequest]:
        """My after-sale requests, newest first."""
        return service.list_my_requests(user_id=current_user_id(), page=query["page"], page_size=query["page_size"])


@blp.route("/after-sales/<int:request_id>")
class MyAfterSale(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, AfterSaleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, request_id: int) -> AfterSaleRequest:
        """One of my requests with its items, timeline and dispute."""
        return service.get_my_request(user_id=current_user_id(), request_id=request_id)


@blp.route("/after-sales/<int:request_id>/escalate")
class EscalateAfterSale(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(EscalateSchema())
    @blp.response(201, DisputeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="after_sale_not_rejected")
    def post(self, data: dict[str, Any], request_id: int) -> QueueEntry:
        """Take my rejected request to customer service: a dispute, answered within the SLA."""
        dispute = service.escalate_request(user_id=current_user_id(), request_id=request_id, now=clock.now(), **data)
        return service.dispute_entry(dispute_id=dispute.id, now=clock.now())


@blp.route("/leader/after-sales")
class LeaderAfterSales(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(LeaderAfterSaleQuerySchema(), location="query")
    @blp.response(200, page_of(AfterSaleSchema))
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, query: dict[str, Any]) -> Page[AfterSaleRequest]:
        """Requests on my pickup point's orders, the soonest due first, optionally by status."""
        return service.list_leader_requests(
            user_id=current_user_id(), status=query.get("status"), page=query["page"], page_size=query["page_size"]
        )


@blp.route("/leader/after-sales/<int:request_id>/accept")
class LeaderAcceptAfterSale(MethodView):
    @require_roles(Role.LEADER)
    @blp.response(200, AfterSaleSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="after_sale_state_changed, refund_exceeds_refundable")
    def post(self, request_id: int) -> AfterSaleRequest:
        """Accept: the amount asked is refunded at once (line-level refund, then the payment provider)."""
        return service.accept_request(user_id=current_user_id(), request_id=request_id, now=clock.now())


@blp.route("/leader/after-sales/<int:request_id>/reject")
class LeaderRejectAfterSale(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(RejectSchema())
    @blp.response(200, AfterSaleSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="after_sale_state_changed, after_sale_answer_overdue")
    def post(self, data: dict[str, Any], request_id: int) -> AfterSaleRequest:
        """Reject with a reason, before the answer is due; the shopper may escalate to customer service."""
        return service.reject_request(
            user_id=current_user_id(), request_id=request_id, reason=data["reason"], now=clock.now()
        )


@blp.route("/cs/disputes")
class CsDisputes(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(DisputeQuerySchema(), location="query")
    @blp.response(200, page_of(DisputeSchema))
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, query: dict[str, Any]) -> Page[QueueEntry]:
        """The dispute queue: priority first, then by SLA due time (48 working hours); overdue ones flagged."""
        return service.dispute_queue(
            status=query["status"], page=query["page"], page_size=query["page_size"], now=clock.now()
        )


@blp.route("/cs/disputes/<int:dispute_id>")
class CsDispute(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.response(200, CaseSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, dispute_id: int) -> Case:
        """The case: the order, its tracking, payments and refunds, the request, both sides' words and photos."""
        return service.dispute_case(dispute_id=dispute_id, viewer_id=current_user_id(), now=clock.now())


@blp.route("/cs/disputes/<int:dispute_id>/resolve")
class CsResolveDispute(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(ResolveSchema())
    @blp.response(200, DisputeSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="dispute_already_resolved, refund_exceeds_refundable")
    def post(self, data: dict[str, Any], dispute_id: int) -> QueueEntry:
        """Decide once: refund 0 … refundable and who is responsible (a leader's share is deducted); audited."""
        dispute: Dispute = service.resolve_dispute(
            cs_user_id=current_user_id(), dispute_id=dispute_id, now=clock.now(), **data
        )
        return service.dispute_entry(dispute_id=dispute.id, now=clock.now())
