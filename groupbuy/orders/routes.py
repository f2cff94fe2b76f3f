"""Order doors: shoppers check out, list, cancel, confirm receipt; leaders list their orders, take the pick
list and see their earnings (confirming and stocking orders are flows: groupbuy/flows/routes.py)."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, current_app
from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of
from groupbuy.idempotency.decorator import idempotent, own_key
from groupbuy.orders import service
from groupbuy.orders.models import Order
from groupbuy.orders.pick_list_formats import HTML, pick_list_answer, pick_list_response, wanted_format
from groupbuy.orders.schemas import (
    EarningsQuerySchema,
    EarningsSchema,
    LeaderOrderQuerySchema,
    LeaderOrderSchema,
    OrderCreateSchema,
    OrderQuerySchema,
    OrderSchema,
    OrderSummarySchema,
    PickListQuerySchema,
    PickListSchema,
)
from groupbuy.orders.service import CheckoutItem, EarningsReport, LeaderOrderView, PlacedOrder

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Checkout and orders")
_ORDER = OrderSchema()


class _OrderAnswer:
    """The 201 answer of a placed order, rendered as ``blp.response(201, OrderSchema)`` would render it, for
    checkout to keep with the order under the request's idempotency key; ``response``: the last one rendered
    (rendered again only when the order's number had to be drawn again)."""

    response: Response

    def __call__(self, placed: PlacedOrder) -> tuple[int, str]:
        self.response = cast(Response, current_app.json.response(_ORDER.dump(placed)))
        self.response.status_code = 201
        return 201, self.response.get_data(as_text=True)


@blp.route("/orders")
class Orders(MethodView):
    @require_roles(*SIGNED_IN)
    @idempotent(required=True, atomic=True, kept_by_handler=True)
    @blp.arguments(OrderCreateSchema())
    @blp.response(201, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(
        409, response="CONFLICT", description="deal_sold_out, limit_exceeded, deal_closed, group_closed, coupon_*"
    )
    def post(self, data: dict[str, Any]) -> Response:
        """Place an order (one per leader) in pending_payment; stock, limits and the group are reserved."""
        answer = _OrderAnswer()
        items = [CheckoutItem(**i) for i in data.get("items") or []]
        service.place_order(
            user_id=current_user_id(),
            items=items,
            from_cart=data["from_cart"],
            fulfilment=data["fulfilment"],
            address_id=data.get("address_id"),
            leader_id=data.get("leader_id"),
            now=clock.now(),
            coupon_id=data.get("coupon_id"),
            keep=own_key(),
            answer=answer,
        )
        return answer.response

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
    @blp.alt_response(409, response="CONFLICT", description="illegal_transition, cutoff_passed, use_after_sale")
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


# --- the leader's desk: own orders only (another leader's order is a 404) ---------------------------------

_TEXT = {"type": "string"}  # the pick list as CSV (UTF-8 with a BOM) or as a printable page
_BY_ACCEPT = "JSON; CSV (UTF-8 with BOM) or a printable page by Accept"


@blp.route("/leader/orders")
class LeaderOrders(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(LeaderOrderQuerySchema(), location="query")
    @blp.response(200, page_of(LeaderOrderSchema))
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, query: dict[str, Any]) -> Page[LeaderOrderView]:
        """My pickup point's orders, newest first, optionally by status and pickup date."""
        return service.list_leader_orders(
            user_id=current_user_id(),
            status=query.get("status"),
            pickup_date=query.get("pickup_date"),
            page=query["page"],
            page_size=query["page_size"],
        )


@blp.route("/leader/pick-list")
class LeaderPickList(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(PickListQuerySchema(), location="query")
    @blp.response(200, PickListSchema)
    @blp.alt_response(200, schema=_TEXT, content_type="text/csv", success=True, description=_BY_ACCEPT)
    @blp.alt_response(200, schema=_TEXT, content_type=HTML, success=True, description=_BY_ACCEPT)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, query: dict[str, Any]) -> Response:
        """My pick list for a pickup date: units per deal, then each order (JSON; CSV or HTML by Accept)."""
        return pick_list_answer(user_id=current_user_id(), pickup_date=query["pickup_date"], fmt=wanted_format())


@blp.route("/leader/pick-list.html")
class LeaderPickListPage(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(PickListQuerySchema(), location="query")
    @blp.alt_response(200, schema=_TEXT, content_type=HTML, success=True, description="the printable pick list")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, query: dict[str, Any]) -> Response:
        """My pick list for a pickup date as a printable page."""
        pick = service.pick_list(user_id=current_user_id(), pickup_date=query["pickup_date"])
        return pick_list_response(pick, HTML)


@blp.route("/leader/earnings")
class LeaderEarnings(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(EarningsQuerySchema(), location="query")
    @blp.response(200, EarningsSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, query: dict[str, Any]) -> EarningsReport:
        """My commission on the net of each confirmed order, for pickup dates from..to: totals, days, orders."""
        return service.leader_earnings(
            user_id=current_user_id(),
            from_date=query.get("from_date"),
            to_date=query.get("to_date"),
            page=query["page"],
            page_size=query["page_size"],
            now=clock.now(),
        )
