"""Catalog use cases: categories, products and SKUs, moderation, deals and their stock, the public deal list."""

from groupbuy.catalog.service.categories import create_category, delete_category, list_categories, update_category
from groupbuy.catalog.service.deals import (
    cancel_deal,
    create_deal,
    get_deal,
    list_deals,
    release_deal_stock,
    release_stock_of_deals,
)
from groupbuy.catalog.service.listing import (
    DealView,
    deal_on_sale,
    deal_phase,
    get_deal_view,
    list_deals_on_sale,
    next_phase_change,
    next_phase_change_of,
)
from groupbuy.catalog.service.member_prices import member_price_floor, set_member_prices
from groupbuy.catalog.service.products import (
    add_sku,
    adjust_sku_stock,
    approve_product,
    create_product,
    get_product,
    get_sku,
    list_products,
    reject_product,
    update_product,
    update_sku,
)
from groupbuy.catalog.service.sale import (
    DealForSale,
    deals_for_sale,
    deals_for_sale_of,
    deals_for_sale_subquery,
    reserve_deal_stock,
)

__all__ = [
    "DealForSale",
    "DealView",
    "add_sku",
    "adjust_sku_stock",
    "approve_product",
    "cancel_deal",
    "create_category",
    "create_deal",
    "create_product",
    "deal_on_sale",
    "deal_phase",
    "deals_for_sale",
    "deals_for_sale_of",
    "deals_for_sale_subquery",
    "delete_category",
    "get_deal",
    "get_deal_view",
    "get_product",
    "get_sku",
    "list_categories",
    "list_deals",
    "list_deals_on_sale",
    "list_products",
    "member_price_floor",
    "next_phase_change",
    "next_phase_change_of",
    "reject_product",
    "release_deal_stock",
    "release_stock_of_deals",
    "reserve_deal_stock",
    "set_member_prices",
    "update_category",
    "update_product",
    "update_sku",
]
