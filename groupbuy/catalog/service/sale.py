"""What checkout needs of the catalog: deals as plain rows (price, window, stock, names) and the stock take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select, update

from groupbuy.catalog.enums import DealPhase, DealStatus, ProductStatus
from groupbuy.catalog.models import Deal, Product, Sku
from groupbuy.catalog.service.listing import phase_of
from groupbuy.common import read_cache
from groupbuy.db import connection, transaction


@dataclass(frozen=True)
class DealForSale:
    """A deal as an order snapshots it."""

    id: int
    on_sale: bool
    group_price_fen: int
    pickup_date: date
    limit_per_user: int
    stock_available: int
    product_name: str
    spec: str
    category_id: int  # coupons scoped to a category


_DEALS_FOR_SALE = (
    select(
        Deal.id,
        Deal.status,
        Deal.starts_at,
        Deal.cutoff_at,
        Deal.group_price_fen,
        Deal.pickup_date,
        Deal.limit_per_user,
        Deal.stock_available,
        Product.status.label("product_status"),
        Product.name,
        Sku.spec,
        Product.category_id,
    )
    .join(Sku, Sku.id == Deal.sku_id)
    .join(Product, Product.id == Sku.product_id)
    .where(Deal.id.in_(bindparam("deal_ids", expanding=True)))
)

_TAKE_STOCK = (
    update(Deal)
    .where(
        Deal.id == bindparam("deal_id"),
        Deal.status == DealStatus.ACTIVE,
        Deal.stock_available >= bindparam("quantity"),
    )
    .values(stock_available=Deal.stock_available - bindparam("quantity"))
    .returning(Deal.stock_available)
)


def deals_for_sale(*, deal_ids: list[int], now: datetime) -> dict[int, DealForSale]:
    """The deals with these ids (missing ones absent), each marked on sale or not, in one statement."""
    rows = connection().execute(_DEALS_FOR_SALE, {"deal_ids": deal_ids}).all()
    return {
        row.id: DealForSale(
            id=row.id,
            on_sale=phase_of(status=row.status, starts_at=row.starts_at, cutoff_at=row.cutoff_at, now=now)
            is DealPhase.ON_SALE
            and row.product_status is ProductStatus.ACTIVE,
            group_price_fen=row.group_price_fen,
            pickup_date=row.pickup_date,
            limit_per_user=row.limit_per_user,
            stock_available=row.stock_available,
            product_name=row.name,
            spec=row.spec,
            category_id=row.category_id,
        )
        for row in rows
    }


def reserve_deal_stock(*, deal_id: int, quantity: int) -> bool:
    """Take ``quantity`` units of an active deal for an order; False (nothing changed) if fewer are left."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    with transaction():
        left = connection().execute(_TAKE_STOCK, {"deal_id": deal_id, "quantity": quantity}).scalar()
        if left == 0:  # sold out: kept deal pages and lists must not offer it any longer
            read_cache.changed()
        return left is not None
