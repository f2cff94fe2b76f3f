"""Coupon doors: admins keep the templates; shoppers claim in the coupon centre and see their wallet."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.coupons import service
from groupbuy.coupons.models import CouponTemplate
from groupbuy.coupons.schemas import (
    ClaimableListSchema,
    TemplateCreateSchema,
    TemplateQuerySchema,
    TemplateSchema,
    TemplateUpdateSchema,
    WalletCouponSchema,
    WalletQuerySchema,
    WalletSchema,
)
from groupbuy.coupons.service import WalletCoupon
from groupbuy.idempotency.decorator import idempotent

blp = Blueprint("coupons", __name__, url_prefix="/api/v1", description="Coupons: templates, coupon centre, wallet")


@blp.route("/admin/coupon-templates")
class AdminTemplates(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(TemplateQuerySchema(), location="query")
    @blp.response(200, page_of(TemplateSchema))
    def get(self, query: dict[str, Any]) -> Page[CouponTemplate]:
        """Every coupon template, newest first."""
        return service.list_templates(active=query.get("active"), page=query["page"], page_size=query["page_size"])

    @require_roles(Role.ADMIN)
    @blp.arguments(TemplateCreateSchema())
    @blp.response(201, TemplateSchema)
    def post(self, data: dict[str, Any]) -> CouponTemplate:
        """A coupon template: amount off, or percent off with a cap; scope, minimum spend, window, quantities."""
        return service.create_template(actor_id=current_user_id(), now=clock.now(), **data)


@blp.route("/admin/coupon-templates/<int:template_id>")
class AdminTemplateById(MethodView):
    @require_roles(Role.ADMIN)
    @blp.response(200, TemplateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, template_id: int) -> CouponTemplate:
        """One template with how many were claimed."""
        return service.get_template(template_id=template_id)

    @require_roles(Role.ADMIN)
    @blp.arguments(TemplateUpdateSchema())
    @blp.response(200, TemplateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data: dict[str, Any], template_id: int) -> CouponTemplate:
        """Change a template (`active: false` stops claims; coupons already claimed keep working); audited."""
        return service.update_template(
            actor_id=current_user_id(), template_id=template_id, fields=data, now=clock.now()
        )


@blp.route("/coupons/available")
class AvailableCoupons(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, ClaimableListSchema)
    def get(self) -> dict[str, Any]:
        """The coupon centre: templates I may claim now (my tier allowed, not claimed out, my own limit not hit)."""
        return {"items": service.available_templates(user_id=current_user_id(), now=clock.now())}


@blp.route("/coupons/<int:template_id>/claim")
class ClaimCoupon(MethodView):
    @require_roles(*SIGNED_IN)
    @idempotent(required=True, atomic=True)
    @blp.response(201, WalletCouponSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409,
        response="CONFLICT",
        description="coupon_claimed_out, coupon_claim_limit, coupon_monthly_allowance_used, coupon_tier_not_allowed,"
        " coupon_expired, coupon_not_claimable",
    )
    def post(self, template_id: int) -> WalletCoupon:
        """Claim one coupon of a template into my wallet (the same Idempotency-Key answers the same coupon)."""
        return service.claim_coupon(user_id=current_user_id(), template_id=template_id, now=clock.now())


@blp.route("/me/coupons")
class MyCoupons(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(WalletQuerySchema(), location="query")
    @blp.response(200, WalletSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """My wallet: available, locked (by an unpaid order), used and expired coupons, newest first."""
        return {"items": service.wallet(user_id=current_user_id(), status=query.get("status"), now=clock.now())}
