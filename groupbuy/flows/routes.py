"""Doors of the flows: the leader confirms orders (and the shoppers are told) and marks them stocking.

Here rather than in orders/routes.py because a flow ranks above the domains it crosses; a door is a leaf.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.common.input import Blueprint
from groupbuy.flows import leader_desk
from groupbuy.flows.leader_desk import DeskOutcome
from groupbuy.orders.models import Order
from groupbuy.orders.schemas import DeskBatchSchema, OrderIdsSchema, OrderSchema

blp = Blueprint("leader_desk", __name__, url_prefix="/api/v1", description="The leader confirms and stocks orders")


@blp.route("/leader/orders/<int:order_id>/confirm")
class LeaderOrderConfirm(MethodView):
    @require_roles(Role.LEADER)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="order_not_paid, group_not_succeeded, illegal_transition")
    def post(self, order_id: int) -> Order:
        """Confirm my paid order of a succeeded group (confirmed; the shopper is told)."""
        return leader_desk.confirm_leader_order(user_id=current_user_id(), order_id=order_id, now=clock.now())


@blp.route("/leader/orders/confirm")
class LeaderOrdersConfirm(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(OrderIdsSchema())
    @blp.response(200, DeskBatchSchema)
    def post(self, data: dict[str, Any]) -> dict[str, list[DeskOutcome]]:
        """Confirm many of my orders; each order answers for itself (ok, or a code such as order_not_paid)."""
        outcomes = leader_desk.confirm_leader_orders(
            user_id=current_user_id(), order_ids=data["order_ids"], now=clock.now()
        )
        return {"results": outcomes}


@blp.route("/leader/orders/<int:order_id>/stock")
class LeaderOrderStock(MethodView):
    @require_roles(Role.LEADER)
    @blp.response(200, OrderSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="illegal_transition")
    def post(self, order_id: int) -> Order:
        """Mark my confirmed order stocking."""
        return leader_desk.stock_leader_order(user_id=current_user_id(), order_id=order_id, now=clock.now())


@blp.route("/leader/orders/stock")
class LeaderOrdersStock(MethodView):
    @require_roles(Role.LEADER)
    @blp.arguments(OrderIdsSchema())
    @blp.response(200, DeskBatchSchema)
    def post(self, data: dict[str, Any]) -> dict[str, list[DeskOutcome]]:
        """Mark many of my confirmed orders stocking; each order answers for itself."""
        outcomes = leader_desk.stock_leader_orders(
            user_id=current_user_id(), order_ids=data["order_ids"], now=clock.now()
        )
        return {"results": outcomes}
