"""HTTP doors for the catalog: admin CRUD and moderation, admin deals, the public categories.

The shopper's deal list and deal page show the leader's group too, so groups/routes.py serves them.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from groupbuy import clock
from groupbuy.accounts.auth import current_user_id, require_roles
from groupbuy.accounts.enums import Role
from groupbuy.catalog import service
from groupbuy.catalog.models import Category, Deal, Product, Sku
from groupbuy.catalog.schemas import (
    CategoryCreateSchema,
    CategoryListSchema,
    CategorySchema,
    CategoryUpdateSchema,
    DealCreateSchema,
    DealQuerySchema,
    DealSchema,
    MemberPricesSchema,
    ProductCreateSchema,
    ProductQuerySchema,
    ProductSchema,
    ProductUpdateSchema,
    RejectionSchema,
    SkuCreateSchema,
    SkuSchema,
    SkuUpdateSchema,
)
from groupbuy.common.input import Blueprint
from groupbuy.common.pagination import Page, page_of

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Catalog: categories, products, SKUs, deals")


# --- categories --------------------------------------------------------------------------------


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategoryListSchema)
    def get(self) -> dict[str, list[Category]]:
        """Every category, in the admin's order."""
        return {"items": service.list_categories()}


@blp.route("/admin/categories")
class AdminCategories(MethodView):
    @require_roles(Role.ADMIN)
    @blp.response(200, CategoryListSchema)
    def get(self) -> dict[str, list[Category]]:
        """Every category, in order."""
        return {"items": service.list_categories()}

    @require_roles(Role.ADMIN)
    @blp.arguments(CategoryCreateSchema())
    @blp.response(201, CategorySchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> Category:
        """Add a category (names are unique: 409 `category_name_taken`); audited."""
        return service.create_category(actor_id=current_user_id(), now=clock.now(), **data)


@blp.route("/admin/categories/<int:category_id>")
class AdminCategoryById(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(CategoryUpdateSchema())
    @blp.response(200, CategorySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, data: dict[str, Any], category_id: int) -> Category:
        """Rename or reorder a category; audited."""
        return service.update_category(
            actor_id=current_user_id(), category_id=category_id, fields=data, now=clock.now()
        )

    @require_roles(Role.ADMIN)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, category_id: int) -> None:
        """Delete a category that holds no products (409 `category_in_use`); audited."""
        service.delete_category(actor_id=current_user_id(), category_id=category_id, now=clock.now())


# --- products and SKUs -------------------------------------------------------------------------


@blp.route("/admin/products")
class AdminProducts(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(ProductQuerySchema(), location="query")
    @blp.response(200, page_of(ProductSchema))
    def get(self, args: dict[str, Any]) -> Page[Product]:
        """Every product, newest first; filter by status, category or name."""
        return service.list_products(
            status=args.get("status"),
            category_id=args.get("category"),
            q=args.get("q"),
            page=args["page"],
            page_size=args["page_size"],
        )

    @require_roles(Role.ADMIN)
    @blp.arguments(ProductCreateSchema())
    @blp.response(201, ProductSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> Product:
        """Add a listing: `active`, or `held` with a `moderation_reason` (banned word, thin description).

        The same name from the same supplier within 2 hours is a 409 `duplicate_listing`.
        """
        return service.create_product(actor_id=current_user_id(), now=clock.now(), **data)


@blp.route("/admin/products/<int:product_id>")
class AdminProductById(MethodView):
    @require_roles(Role.ADMIN)
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, product_id: int) -> Product:
        """A product with its SKUs."""
        return service.get_product(product_id=product_id)

    @require_roles(Role.ADMIN)
    @blp.arguments(ProductUpdateSchema())
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, data: dict[str, Any], product_id: int) -> Product:
        """Edit a listing (a live one failing moderation is held again); `active` deactivates or reactivates it."""
        return service.update_product(actor_id=current_user_id(), product_id=product_id, fields=data, now=clock.now())


@blp.route("/admin/products/<int:product_id>/approve")
class ApproveProduct(MethodView):
    @require_roles(Role.ADMIN)
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, product_id: int) -> Product:
        """Release a held listing (held → active; otherwise 409 `product_not_held`); audited."""
        return service.approve_product(actor_id=current_user_id(), product_id=product_id, now=clock.now())


@blp.route("/admin/products/<int:product_id>/reject")
class RejectProduct(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(RejectionSchema())
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], product_id: int) -> Product:
        """Turn a held listing down (held → inactive, reason kept); audited."""
        return service.reject_product(
            actor_id=current_user_id(), product_id=product_id, reason=data["reason"], now=clock.now()
        )


@blp.route("/admin/products/<int:product_id>/skus")
class ProductSkus(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(SkuCreateSchema())
    @blp.response(201, SkuSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any], product_id: int) -> Sku:
        """Add a SKU (spec unique per product: 409 `duplicate_sku`); audited."""
        return service.add_sku(actor_id=current_user_id(), product_id=product_id, now=clock.now(), **data)


@blp.route("/admin/skus/<int:sku_id>")
class AdminSkuById(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(SkuUpdateSchema())
    @blp.response(200, SkuSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, data: dict[str, Any], sku_id: int) -> Sku:
        """Edit spec or list price; `stock_delta` moves free stock atomically, never below 0 (409)."""
        return service.update_sku(actor_id=current_user_id(), sku_id=sku_id, fields=data, now=clock.now())


# --- deals -------------------------------------------------------------------------------------


@blp.route("/admin/deals")
class AdminDeals(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(DealQuerySchema(), location="query")
    @blp.response(200, page_of(DealSchema))
    def get(self, args: dict[str, Any]) -> Page[Deal]:
        """Every deal, newest first; filter by status or SKU."""
        return service.list_deals(
            status=args.get("status"), sku_id=args.get("sku_id"), page=args["page"], page_size=args["page_size"]
        )

    @require_roles(Role.ADMIN)
    @blp.arguments(DealCreateSchema())
    @blp.response(201, DealSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data: dict[str, Any]) -> Deal:
        """Open a deal on an active product's SKU; `stock_allocated` units leave the SKU's stock atomically.

        Schedule or product problems are 422 per field; fewer free units than asked is 409 `insufficient_stock`.
        """
        prices = [(p["tier"], p["price_fen"]) for p in data.pop("member_prices")]
        title, actor_id = data.pop("title", None), current_user_id()
        return service.create_deal(actor_id=actor_id, title=title, member_prices=prices, now=clock.now(), **data)


@blp.route("/admin/deals/<int:deal_id>")
class AdminDealById(MethodView):
    @require_roles(Role.ADMIN)
    @blp.response(200, DealSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, deal_id: int) -> Deal:
        """A deal with its allocated and available stock."""
        return service.get_deal(deal_id=deal_id)


@blp.route("/admin/deals/<int:deal_id>/cancel")
class CancelDeal(MethodView):
    @require_roles(Role.ADMIN)
    @blp.response(200, DealSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, deal_id: int) -> Deal:
        """Cancel a deal that sold nothing; its units return to the SKU once (409 deal_has_sales / deal_cancelled)."""
        return service.cancel_deal(actor_id=current_user_id(), deal_id=deal_id, now=clock.now())


@blp.route("/admin/deals/<int:deal_id>/member-prices")
class DealMemberPrices(MethodView):
    @require_roles(Role.ADMIN)
    @blp.arguments(MemberPricesSchema())
    @blp.response(200, DealSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def put(self, data: dict[str, Any], deal_id: int) -> Deal:
        """Set the deal's member prices, one per tier (a tier's price also serves the tiers above it); audited.

        Each is below the group price and at least the floor (`GROUPBUY_MEMBER_PRICE_MAX_DISCOUNT_PERCENT` off);
        otherwise 422 `member_price_invalid`. Lines already ordered keep the price they were bought at.
        """
        prices = [(p["tier"], p["price_fen"]) for p in data["member_prices"]]
        return service.set_member_prices(actor_id=current_user_id(), deal_id=deal_id, prices=prices, now=clock.now())
