"""Customer service doors (role cs, and admins): find and open any order, goodwill refunds, suspend and reinstate
accounts, read the audit trail of any object. Every write leaves an audit entry; nothing here changes one."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.accounts.schemas import SuspensionSchema, UserSchema
from groupbuy.audit.models import AuditEntry
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.cs import service
from groupbuy.cs.schemas import (
    AuditEntrySchema,
    AuditQuerySchema,
    GoodwillRefundResultSchema,
    GoodwillRefundSchema,
    OrderDossierSchema,
    OrderHitSchema,
    OrderSearchSchema,
)
from groupbuy.cs.service import GoodwillLine, OrderDossier, OrderHit
from groupbuy.idempotency.decorator import idempotent
from groupbuy.orders.service import OrderRefundOutcome

blp = Blueprint("customer_service", __name__, url_prefix="/api/v1", description="Customer service")
CS = (Role.CS, Role.ADMIN)


@blp.route("/cs/orders")
class CsOrders(MethodView):
    @require_roles(*CS)
    @blp.arguments(OrderSearchSchema(), location="query")
    @blp.response(200, page_of(OrderHitSchema))
    def get(self, query: dict[str, Any]) -> Page[OrderHit]:
        """Search every order by number, shopper phone, leader and order date; newest first, phones masked."""
        return service.search_orders(**query)


@blp.route("/cs/orders/<int:order_id>")
class CsOrder(MethodView):
    @require_roles(*CS)
    @blp.response(200, OrderDossierSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id: int) -> OrderDossier:
        """Any order with its lines, tracking timeline, payments and refunds."""
        return service.open_order(order_id=order_id, viewer_id=current_user_id())


@blp.route("/cs/orders/<int:order_id>/goodwill-refund")
class CsGoodwillRefund(MethodView):
    @require_roles(*CS)
    @idempotent(required=True)
    @blp.arguments(GoodwillRefundSchema())
    @blp.response(201, GoodwillRefundResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409, response="CONFLICT", description="refund_exceeds_line, refund_exceeds_refundable, order_not_refundable"
    )
    def post(self, data: dict[str, Any], order_id: int) -> OrderRefundOutcome:
        """A goodwill refund: units of lines, amounts for kept goods on lines, or an amount for the order's kept goods
        (line-level refunds; audited with before/after)."""
        lines = [GoodwillLine(**line) for line in data.get("lines", [])]
        return service.goodwill_refund(
            order_id=order_id,
            lines=lines,
            amount_fen=data.get("amount_fen"),
            reason=data["reason"],
            actor_id=current_user_id(),
            now=clock.now(),
        )


@blp.route("/cs/accounts/<int:user_id>/suspend")
class CsSuspend(MethodView):
    @require_roles(*CS)
    @blp.arguments(SuspensionSchema())
    @blp.response(200, UserSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data: dict[str, Any], user_id: int) -> User:
        """Suspend an account of a lower rank: it cannot log in and its sessions die (403 outranked; audited)."""
        return service.suspend_account(
            user_id=user_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now()
        )


@blp.route("/cs/accounts/<int:user_id>/reinstate")
class CsReinstate(MethodView):
    @require_roles(*CS)
    @blp.arguments(SuspensionSchema())
    @blp.response(200, UserSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data: dict[str, Any], user_id: int) -> User:
        """Lift a suspension of a lower rank's account (audited)."""
        return service.reinstate_account(
            user_id=user_id, actor_id=current_user_id(), reason=data["reason"], now=clock.now()
        )


@blp.route("/cs/audit")
class CsAudit(MethodView):
    @require_roles(*CS)
    @blp.arguments(AuditQuerySchema(), location="query")
    @blp.response(200, page_of(AuditEntrySchema))
    def get(self, query: dict[str, Any]) -> Page[AuditEntry]:
        """The audit trail of any object (object_type, object_id), newest first; read only."""
        return service.audit_trail(
            object_type=query.get("object_type"),
            object_id=query.get("object_id"),
            page=query["page"],
            page_size=query["page_size"],
        )
