"""Order doors for shoppers: checkout, list, detail, cancel, confirm receipt."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.idempotency.decorator import idempotent
from groupbuy.orders import service
from groupbuy.orders.models import Order
from groupbuy.orders.schemas import OrderCreateSchema, OrderQuerySchema, OrderSchema, OrderSummarySchema
from groupbuy.orders.service import CheckoutItem, PlacedOrder

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Checkout and orders")


@blp.route("/orders")
class Orders(MethodView):
    @require_roles(*SIGNED_IN)
    @idempotent(required=True, atomic=True)
    @blp.arguments(OrderCreateSchema())
    @blp.response(201, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="deal_sold_out, limit_exceeded, deal_closed, group_closed")
    def post(self, data: dict[str, Any]) -> PlacedOrder:
        """Place an order (one per leader) in pending_payment; stock, limits and the group are reserved."""
        items = [CheckoutItem(**i) for i in data.get("items") or []]
        return service.place_order(
            user_id=current_user_id(),
            items=items,
            from_cart=data["from_cart"],
            fulfilment=data["fulfilment"],
            address_id=data.get("address_id"),
            leader_id=data.get("leader_id"),
            now=clock.now(),
        )

    @require_roles(*SIGNED_IN)
    @blp.arguments(OrderQuerySchema(), location="query")
    @blp.response(200, page_of(OrderSummarySchema))
    def get(self, query: dict[str, Any]) -> Page[Order]:
        """My orders, newest first, optionally by status."""
        return service.list_orders_for_user(
            user_id=current_user_id(), status=query.get("status"), page=query["page"], page_size=query["page_size"]
        )


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id: int) -> Order:
        """One of my orders with lines, totals and timeline."""
        return service.get_order_for_user(user_id=current_user_id(), order_id=order_id)


@blp.route("/orders/<int:order_id>/cancel")
class OrderCancel(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="illegal_transition, cutoff_passed")
    def post(self, order_id: int) -> Order:
        """Cancel before the cutoff: unpaid → cancelled; paid → refunding (refund in full)."""
        return service.cancel_order(user_id=current_user_id(), order_id=order_id, now=clock.now())


@blp.route("/orders/<int:order_id>/confirm-receipt")
class OrderConfirmReceipt(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, order_id: int) -> Order:
        """I have the goods: picked up / delivered → completed."""
        return service.confirm_receipt(user_id=current_user_id(), order_id=order_id, now=clock.now())
