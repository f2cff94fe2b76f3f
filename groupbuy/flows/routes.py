"""Doors of the flows: the leader confirms orders (and the shoppers are told) and marks them stocking; goods-moving
doors: dispatch (admin), arrivals, pickups and home delivery (leader), tracking, the pickup QR.

Here rather than in orders/routes.py because a flow ranks above the domains it crosses; a door is a leaf.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_caller, current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, PageQuerySchema, page_of
from groupbuy.common.qr import qr_response
from groupbuy.flows import leader_desk
from groupbuy.flows.arrivals import record_arrival
from groupbuy.flows.dispatch import dispatch_orders
from groupbuy.flows.leader_desk import DeskOutcome
from groupbuy.flows.schemas import (
    ArrivalCreateSchema,
    DispatchCreateSchema,
    HandedOverOrderSchema,
    PickupSchema,
    ReceiptSchema,
    ShipmentSchema,
    TrackingSchema,
    UnclaimedOrderSchema,
)
from groupbuy.orders import service as orders
from groupbuy.orders.models import Order
from groupbuy.orders.schemas import DeskBatchSchema, OrderIdsSchema, OrderSchema
from groupbuy.orders.service import Receipt, Shipment, Tracking

blp = Blueprint("logistics", __name__, url_prefix="/api/v1", description="Dispatch, arrival, pickup and tracking")
STAFF = {Role.CS, Role.ADMIN}


@blp.route("/admin/dispatches")
class Dispatches(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(DispatchCreateSchema())
    @blp.response(200, ShipmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data: dict[str, Any]) -> Shipment:
        """Ship a leader's confirmed and stocking orders for a pickup date; the leader is told (a repeat ships none)."""
        return dispatch_orders(
            leader_id=data["leader_id"],
            pickup_date=data["pickup_date"],
            actor=f"admin:{current_user_id()}",
            now=clock.now(),
        )


@blp.route("/leader/arrivals")
class Arrivals(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(ArrivalCreateSchema())
    @blp.response(201, ReceiptSchema)
    @blp.alt_response(409, response="CONFLICT", description="arrival_already_recorded, nothing_shipped")
    def post(self, data: dict[str, Any]) -> Receipt:
        """My goods for a pickup date arrived: shortages refunded (latest orders first), shoppers told; once."""
        received = {line["deal_id"]: line["received_quantity"] for line in data["lines"]}
        return record_arrival(
            user_id=current_user_id(), pickup_date=data["pickup_date"], received=received, now=clock.now()
        )


@blp.route("/leader/pickups")
class Pickups(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(PickupSchema())
    @blp.response(200, HandedOverOrderSchema)
    @blp.alt_response(404, response="NOT_FOUND", description="pickup_code_not_found (counted against the limit)")
    @blp.alt_response(409, response="CONFLICT", description="already_picked_up, not_ready_for_pickup")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", description="pickup_code_throttled")
    def post(self, data: dict[str, Any]) -> Order:
        """Verify a pickup code of one of my orders: ready_for_pickup → picked_up."""
        return orders.verify_pickup_code(user_id=current_user_id(), pickup_code=data["pickup_code"], now=clock.now())


@blp.route("/leader/orders/<int:order_id>/out-for-delivery")
class OutForDelivery(MethodView):
    @require_roles(Role.LEADER)
    @blp.response(200, HandedOverOrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="not_a_delivery_order, illegal_transition")
    def post(self, order_id: int) -> Order:
        """A home-delivery order of mine leaves the pickup point: ready_for_pickup → out_for_delivery."""
        return orders.send_out_for_delivery(user_id=current_user_id(), order_id=order_id, now=clock.now())


@blp.route("/leader/orders/<int:order_id>/delivered")
class Delivered(MethodView):
    @require_roles(Role.LEADER)
    @blp.response(200, HandedOverOrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="not_a_delivery_order, illegal_transition")
    def post(self, order_id: int) -> Order:
        """A home-delivery order of mine was handed over at the door: out_for_delivery → delivered."""
        return orders.mark_delivered(user_id=current_user_id(), order_id=order_id, now=clock.now())


@blp.route("/orders/<int:order_id>/tracking")
class OrderTracking(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, TrackingSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id: int) -> Tracking:
        """An order's timeline with times and who acted: its shopper, its leader and CS only."""
        caller = current_caller()
        return orders.order_tracking(order_id=order_id, viewer_id=caller.id, staff=bool(caller.role_names & STAFF))


@blp.route("/orders/<int:order_id>/pickup-qr.<any(png, svg):fmt>")
class PickupQr(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, content_type="image/png", description="PNG or SVG (by extension)")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id: int, fmt: str) -> Response:
        """My order's pickup code as a QR code, for the leader to scan."""
        code = orders.pickup_code_for_user(user_id=current_user_id(), order_id=order_id)
        return qr_response(code, fmt, private=True)


@blp.route("/cs/unclaimed-orders")
class UnclaimedOrders(MethodView):
    @require_roles(Role.CS, Role.ADMIN)
    @blp.arguments(PageQuerySchema(), location="query")
    @blp.response(200, page_of(UnclaimedOrderSchema))
    def get(self, query: dict[str, Any]) -> Page[Order]:
        """Orders flagged for CS because their goods wait unclaimed at the pickup point, oldest flag first."""
        return orders.list_unclaimed_orders(page=query["page"], page_size=query["page_size"])


desk_blp = Blueprint("leader_desk", __name__, url_prefix="/api/v1", description="The leader confirms and stocks orders")


@desk_blp.route("/leader/orders/<int:order_id>/confirm")
class LeaderOrderConfirm(MethodView):
    @require_roles(Role.LEADER)
    @desk_blp.response(200, OrderSchema)
    @desk_blp.alt_response(404, response="NOT_FOUND")
    @desk_blp.alt_response(
        409, response="CONFLICT", description="order_not_paid, group_not_succeeded, illegal_transition"
    )
    def post(self, order_id: int) -> Order:
        """Confirm my paid order of a succeeded group (confirmed; the shopper is told)."""
        return leader_desk.confirm_leader_order(user_id=current_user_id(), order_id=order_id, now=clock.now())


@desk_blp.route("/leader/orders/confirm")
class LeaderOrdersConfirm(MethodView):
    @require_roles(Role.LEADER)
    @desk_blp.arguments(OrderIdsSchema())
    @desk_blp.response(200, DeskBatchSchema)
    def post(self, data: dict[str, Any]) -> dict[str, list[DeskOutcome]]:
        """Confirm many of my orders; each order answers for itself (ok, or a code such as order_not_paid)."""
        outcomes = leader_desk.confirm_leader_orders(
            user_id=current_user_id(), order_ids=data["order_ids"], now=clock.now()
        )
        return {"results": outcomes}


@desk_blp.route("/leader/orders/<int:order_id>/stock")
class LeaderOrderStock(MethodView):
    @require_roles(Role.LEADER)
    @desk_blp.response(200, OrderSchema)
    @desk_blp.alt_response(404, response="NOT_FOUND")
    @desk_blp.alt_response(409, response="CONFLICT", description="illegal_transition")
    def post(self, order_id: int) -> Order:
        """Mark my confirmed order stocking."""
        return leader_desk.stock_leader_order(user_id=current_user_id(), order_id=order_id, now=clock.now())


@desk_blp.route("/leader/orders/stock")
class LeaderOrdersStock(MethodView):
    @require_roles(Role.LEADER)
    @desk_blp.arguments(OrderIdsSchema())
    @desk_blp.response(200, DeskBatchSchema)
    def post(self, data: dict[str, Any]) -> dict[str, list[DeskOutcome]]:
        """Mark many of my confirmed orders stocking; each order answers for itself."""
        outcomes = leader_desk.stock_leader_orders(
            user_id=current_user_id(), order_ids=data["order_ids"], now=clock.now()
        )
        return {"results": outcomes}
