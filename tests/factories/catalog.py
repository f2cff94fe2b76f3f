"""Categories, products, SKUs and deals. Deals made here do NOT take units from their SKU's stock:
tests about stock conservation create deals through the service (or the API) instead."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import factory

from groupbuy import clock
from groupbuy.catalog.enums import DealStatus, ProductStatus
from groupbuy.catalog.models import Category, Deal, Product, Sku
from groupbuy.catalog.service.deals import DISPLAY_TZ
from groupbuy.catalog.service.moderation import listing_key
from tests.factories.base import ModelFactory


class CategoryFactory(ModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分类{n}")
    sort_order = 0
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


class ProductFactory(ModelFactory):
    class Meta:
        model = Product

    class Params:
        held = factory.Trait(status=ProductStatus.HELD, moderation_reason="banned word: 最低价")
        inactive = factory.Trait(status=ProductStatus.INACTIVE)

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"山东烟台红富士苹果{n}")
    description = "产地直发，脆甜多汁，单果约 200 克，坏果包赔。"
    images = factory.LazyFunction(
        lambda: ["https://img.example.com/apple-1.jpg", "https://img.example.com/apple-2.jpg"]
    )
    supplier = "烟台果业合作社"
    listing_key = factory.LazyAttribute(lambda o: listing_key(supplier=o.supplier, name=o.name))
    status = ProductStatus.ACTIVE
    moderation_reason = None
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


class SkuFactory(ModelFactory):
    class Meta:
        model = Sku

    product = factory.SubFactory(ProductFactory)
    spec = factory.Sequence(lambda n: f"{n + 1} kg")
    list_price_fen = 2990
    stock = 100
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


def _pickup_after(cutoff_at: datetime) -> Any:
    return cutoff_at.astimezone(DISPLAY_TZ).date() + timedelta(days=1)


class DealFactory(ModelFactory):
    """On sale at creation time by default: started an hour ago, closing in a day."""

    class Meta:
        model = Deal

    class Params:
        cancelled = factory.Trait(status=DealStatus.CANCELLED)

    sku = factory.SubFactory(SkuFactory)
    title = factory.LazyAttribute(lambda o: f"{o.sku.product.name} {o.sku.spec}")
    group_price_fen = 1990
    starts_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=1))
    cutoff_at = factory.LazyFunction(lambda: clock.now() + timedelta(days=1))
    pickup_date = factory.LazyAttribute(lambda o: _pickup_after(o.cutoff_at))
    min_group_quantity = 1
    limit_per_user = 99
    stock_allocated = 10
    stock_available = factory.LazyAttribute(lambda o: o.stock_allocated)
    status = DealStatus.ACTIVE
    created_at = factory.LazyFunction(clock.now)


def make_deal(**fields: Any) -> Deal:
    """A deal on sale now (its units are not taken from the SKU: see the module docstring)."""
    return DealFactory(**fields)
