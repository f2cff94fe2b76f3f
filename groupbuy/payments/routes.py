"""Payment doors: links and QR codes for the owner, provider callbacks (no auth), the CS refund queue."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.common.qr import qr_response
from groupbuy.extensions import limiter
from groupbuy.idempotency.decorator import idempotent
from groupbuy.payments import service
from groupbuy.payments.models import Refund
from groupbuy.payments.schemas import PaymentCreateSchema, PaymentSchema, RefundQuerySchema, RefundSchema
from groupbuy.payments.service import PaymentView
from groupbuy.settings import settings

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Payments, notifications and refunds")


def notify_limit() -> str:
    """Per-IP throttle on the provider notify URLs (GROUPBUY_PAYMENT_NOTIFY_RATE_LIMIT); providers resend later."""
    return settings().payment_notify_rate_limit


@blp.route("/orders/<int:order_id>/payments")
class OrderPayments(MethodView):
    @require_roles(*SIGNED_IN)
    @idempotent(required=False)
    @blp.arguments(PaymentCreateSchema())
    @blp.response(201, PaymentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="order_not_payable, payment_provider_refused")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="payment_channel_unavailable")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE", description="payment_provider_unavailable")
    def post(self, data: dict[str, Any], order_id: int) -> PaymentView:
        """Pay for my order: creates or reuses the live payment for this channel; it expires at pay_before."""
        return service.start_payment(
            user_id=current_user_id(), order_id=order_id, channel=data["channel"], now=clock.now()
        )


@blp.route("/payments/<int:payment_id>")
class PaymentById(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, PaymentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, payment_id: int) -> PaymentView:
        """My payment's status."""
        return service.get_payment_for_user(user_id=current_user_id(), payment_id=payment_id)


@blp.route("/payments/<int:payment_id>/qr.<any(png, svg):fmt>")
class PaymentQr(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, content_type="image/png", description="PNG or SVG (by extension)")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, payment_id: int, fmt: str) -> Response:
        """My payment's code_url as a QR code."""
        code_url = service.payment_code_url_for_user(user_id=current_user_id(), payment_id=payment_id)
        return qr_response(code_url, fmt, private=True)


@blp.route("/payments/notify/<any(wechat, alipay, unionpay, sandbox):provider>")
class PaymentNotify(MethodView):
    @limiter.limit(notify_limit)
    @blp.doc(security=[])
    @blp.response(204, description="accepted (WeChat Pay, sandbox); Alipay gets 200 text `success`, UnionPay `ok`")
    @blp.alt_response(
        400,
        description='wrong shape or size, or not verifiable: `{"code": "FAIL", ...}` (Alipay, UnionPay: `fail`)',
    )
    @blp.alt_response(401, description="signature headers missing; signature, serial, timestamp or probe refused")
    @blp.alt_response(404, description="unknown trade, or provider not enabled (nothing stored)")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, provider: str) -> Response:
        """A provider's notification: shape-checked, stored, verified, applied once. No login (signed instead)."""
        reply = service.handle_callback(
            provider=provider, headers=dict(request.headers.items()), body=request.get_data(), now=clock.now()
        )
        return current_app.response_class(reply.body, status=reply.status, content_type=reply.content_type)


@blp.route("/cs/refunds")
class CsRefunds(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(RefundQuerySchema(), location="query")
    @blp.response(200, page_of(RefundSchema))
    def get(self, query: dict[str, Any]) -> Page[Refund]:
        """Refunds by status (`failed`: refused or stuck, waiting for a human; the job keeps retrying them)."""
        return service.list_refunds(status=query.get("status"), page=query["page"], page_size=query["page_size"])
