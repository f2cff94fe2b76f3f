"""Cart doors."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import SIGNED_IN, current_user_id, require_roles
from groupbuy.cart import service
from groupbuy.cart.schemas import CartItemCreateSchema, CartItemSchema, CartItemUpdateSchema, CartSchema
from groupbuy.cart.service import CartView, WrittenLine
from groupbuy.common.input import Blueprint

blp = Blueprint("cart", __name__, url_prefix="/api/v1", description="The shopper's cart")


@blp.route("/cart")
class Cart(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.response(200, CartSchema)
    def get(self) -> CartView:
        """My cart with live prices, stock left and per-line problems."""
        return service.view_cart(user_id=current_user_id(), now=clock.now())


@blp.route("/cart/items")
class CartItems(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(CartItemCreateSchema())
    @blp.response(201, CartItemSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data: dict[str, Any]) -> WrittenLine:
        """Add a deal; adding it again adds to the same line."""
        return service.add_to_cart(
            user_id=current_user_id(), deal_id=data["deal_id"], quantity=data["quantity"], now=clock.now()
        )


@blp.route("/cart/items/<int:item_id>")
class CartItemById(MethodView):
    @require_roles(*SIGNED_IN)
    @blp.arguments(CartItemUpdateSchema())
    @blp.response(200, CartItemSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data: dict[str, Any], item_id: int) -> WrittenLine:
        """Change a line's quantity."""
        return service.set_cart_quantity(
            user_id=current_user_id(), item_id=item_id, quantity=data["quantity"], now=clock.now()
        )

    @require_roles(*SIGNED_IN)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, item_id: int) -> None:
        """Remove a line."""
        service.remove_from_cart(user_id=current_user_id(), item_id=item_id)
