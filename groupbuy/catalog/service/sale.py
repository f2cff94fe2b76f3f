"""What checkout needs of the catalog: deals as plain rows (price, window, stock, names) and the stock take."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import CTE, BigInteger, Subquery, Update, any_, bindparam, exists, select, update
from sqlalchemy.dialects import postgresql

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


# Labelled, so that checkout can join these columns to its first read of the shopper (deals_for_sale_subquery).
_FOR_SALE_COLUMNS = (
    Deal.id.label("deal_id"),
    Deal.status.label("deal_status"),
    Deal.starts_at.label("deal_starts_at"),
    Deal.cutoff_at.label("deal_cutoff_at"),
    Deal.group_price_fen.label("deal_group_price_fen"),
    Deal.pickup_date.label("deal_pickup_date"),
    Deal.limit_per_user.label("deal_limit_per_user"),
    Deal.stock_available.label("deal_stock_available"),
    Product.status.label("deal_product_status"),
    Product.name.label("deal_product_name"),
    Sku.spec.label("deal_spec"),
    Product.category_id.label("deal_category_id"),
)


@functools.cache
def _deals_for_sale(dialect_name: str, *, single: bool = False) -> Any:
    # One deal is bound as ``deal_id`` and compared with "=": PostgreSQL's generic plan of a prepared statement
    # then costs what a plan for the value costs, so it is kept and the statement is not planned on every
    # execution (with "= ANY" its guess of ten ids made the generic plan look dearer, and a worker could end up
    # planning checkout's first read anew on every request). More ids: PostgreSQL takes them as one array (an
    # expanding IN is rendered anew on every execution).
    if single:
        wanted = Deal.id == bindparam("deal_id", type_=BigInteger)
    elif dialect_name == "postgresql":
        wanted = Deal.id == any_(bindparam("deal_ids", type_=postgresql.ARRAY(BigInteger)))
    else:
        wanted = Deal.id.in_(bindparam("deal_ids", expanding=True))
    return (
        select(*_FOR_SALE_COLUMNS)
        .join(Sku, Sku.id == Deal.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .where(wanted)
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
    conn = connection()
    rows = conn.execute(_deals_for_sale(conn.dialect.name), {"deal_ids": deal_ids}).all()
    return deals_for_sale_of(rows, now=now)


def deals_for_sale_subquery(dialect_name: str, *, single: bool = False) -> Subquery:
    """The read of deals_for_sale as a subquery (bound parameter ``deal_ids``, or ``deal_id`` when ``single``;
    columns ``deal_*``), for a caller that joins it to a read of its own and so saves a round trip;
    deals_for_sale_of turns its rows into deals."""
    subquery: Subquery = _deals_for_sale(dialect_name, single=single).subquery("for_sale")
    return subquery


def deals_for_sale_of(rows: Iterable[Any], *, now: datetime) -> dict[int, DealForSale]:
    """Rows holding the ``deal_*`` columns as deals (rows whose deal_id is NULL, an outer join's, are skipped)."""
    return {
        row.deal_id: DealForSale(
            id=row.deal_id,
            on_sale=phase_of(
                status=row.deal_status, starts_at=row.deal_starts_at, cutoff_at=row.deal_cutoff_at, now=now
            )
            is DealPhase.ON_SALE
            and row.deal_product_status is ProductStatus.ACTIVE,
            group_price_fen=row.deal_group_price_fen,
            pickup_date=row.deal_pickup_date,
            limit_per_user=row.deal_limit_per_user,
            stock_available=row.deal_stock_available,
            product_name=row.deal_product_name,
            spec=row.deal_spec,
            category_id=row.deal_category_id,
        )
        for row in rows
        if row.deal_id is not None
    }


def reserve_deal_stock(*, deal_id: int, quantity: int) -> bool:
    """Take ``quantity`` units of an active deal for an order; False (nothing changed) if fewer are left."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    with transaction():
        return stock_taken(connection().execute(_TAKE_STOCK, {"deal_id": deal_id, "quantity": quantity}).scalar())


def take_stock_after(gate: CTE) -> Update:
    """reserve_deal_stock's UPDATE for a statement that writes several things at once (checkout's single-line
    order on PostgreSQL): bound ``deal_id`` and ``quantity``, it returns the units left, and it runs only once
    ``gate`` has returned a row, so after the rows ``gate`` locks. Hand what it returned to stock_taken."""
    return _TAKE_STOCK.where(exists(gate.select()))


def stock_taken(left: int | None) -> bool:
    """Whether the stock take returned a row (the units left); the deal's last unit taken changes what shoppers see."""
    if left == 0:  # sold out: kept deal pages and lists must not offer it any longer
        read_cache.changed()
    return left is not None
