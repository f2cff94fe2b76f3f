"""Deals: units move between a SKU and its deals, and out to orders, only by conditional single UPDATEs.

Stock conservation per SKU: ``skus.stock + Σ stock_allocated of its active deals`` never changes when a
deal is created or cancelled; per deal, ``stock_available`` stays within ``0..stock_allocated`` (CHECKs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, bindparam, select, update

from groupbuy.accounts.enums import Tier
from groupbuy.audit.service import record_action
from groupbuy.catalog.enums import DealStatus, ProductStatus
from groupbuy.catalog.models import Deal, Sku
from groupbuy.catalog.service.member_prices import write_member_prices
from groupbuy.common import read_cache
from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")  # pickup dates are calendar days where the shoppers live
NO_SYNC = {"synchronize_session": False}  # conditional UPDATEs; callers refresh what they return


def _snapshot(deal: Deal) -> dict[str, Any]:
    return {
        "sku_id": deal.sku_id,
        "title": deal.title,
        "group_price_fen": deal.group_price_fen,
        "starts_at": deal.starts_at.isoformat(),
        "cutoff_at": deal.cutoff_at.isoformat(),
        "pickup_date": deal.pickup_date.isoformat(),
        "min_group_quantity": deal.min_group_quantity,
        "limit_per_user": deal.limit_per_user,
        "stock_allocated": deal.stock_allocated,
        "stock_available": deal.stock_available,
        "status": deal.status.value,
    }


def schedule_problems(
    *, starts_at: datetime, cutoff_at: datetime, pickup_date: date, now: datetime
) -> dict[str, list[str]]:
    """Cutoff after start and in the future; pickup not before the cutoff's day in Asia/Shanghai."""
    errors: dict[str, list[str]] = {}
    if cutoff_at <= starts_at:
        errors["cutoff_at"] = ["must be after starts_at"]
    elif cutoff_at <= now:
        errors["cutoff_at"] = ["must be in the future"]
    if pickup_date < cutoff_at.astimezone(DISPLAY_TZ).date():
        errors["pickup_date"] = ["must not be before the cutoff's date (Asia/Shanghai)"]
    return errors


def _take_from_sku(*, sku_id: int, quantity: int, now: datetime) -> None:
    """Allocate ``quantity`` units of the SKU's free stock, or 409 if it has fewer (one UPDATE, no read)."""
    result = db.session.execute(
        update(Sku)
        .where(Sku.id == sku_id, Sku.stock >= quantity)
        .values(stock=Sku.stock - quantity, updated_at=now)
        .execution_options(**NO_SYNC)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        raise Conflict("insufficient_stock")


def create_deal(
    *,
    actor_id: int,
    sku_id: int,
    title: str | None,
    group_price_fen: int,
    starts_at: datetime,
    cutoff_at: datetime,
    pickup_date: date,
    min_group_quantity: int,
    limit_per_user: int,
    stock_allocated: int,
    now: datetime,
    member_prices: Sequence[tuple[Tier, int]] = (),
) -> Deal:
    """Open a deal on an active product's SKU; its units are taken from the SKU's stock atomically (409 if short).
    ``member_prices``: (tier, price) pairs, each below the group price and not under the floor."""
    starts_at, cutoff_at = starts_at.astimezone(UTC), cutoff_at.astimezone(UTC)  # kept and echoed in UTC
    errors = schedule_problems(starts_at=starts_at, cutoff_at=cutoff_at, pickup_date=pickup_date, now=now)
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        sku = db.session.get(Sku, sku_id)
        if sku is None:
            errors["sku_id"] = ["no such SKU"]
        elif sku.product.status is not ProductStatus.ACTIVE:
            raise Invalid("product_not_active", errors={"sku_id": ["the product is not active"], **errors})
        if errors or sku is None:
            raise Invalid(errors=errors)
        _take_from_sku(sku_id=sku_id, quantity=stock_allocated, now=now)
        deal = Deal(
            sku_id=sku_id,
            title=(title or f"{sku.product.name} {sku.spec}").strip(),
            group_price_fen=group_price_fen,
            starts_at=starts_at,
            cutoff_at=cutoff_at,
            pickup_date=pickup_date,
            min_group_quantity=min_group_quantity,
            limit_per_user=limit_per_user,
            stock_allocated=stock_allocated,
            stock_available=stock_allocated,
            status=DealStatus.ACTIVE,
            created_by_id=actor_id,
            created_at=now,
        )
        db.session.add(deal)
        db.session.flush()  # the audit entry needs the id
        prices = write_member_prices(deal, member_prices) if member_prices else []
        record_action(
            actor_id=actor_id,
            action="deal.create",
            object_type="deal",
            object_id=deal.id,
            now=now,
            after={**_snapshot(deal), "member_prices": prices},
        )
        return deal


def get_deal(*, deal_id: int) -> Deal:
    """The deal (any status), or 404."""
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        raise NotFound()
    return deal


def list_deals(*, status: DealStatus | None, sku_id: int | None, page: int, page_size: int) -> Page[Deal]:
    """Admin view: every deal, newest first."""
    query: Select[Any] = select(Deal).order_by(Deal.created_at.desc(), Deal.id.desc())
    if status is not None:
        query = query.where(Deal.status == status)
    if sku_id is not None:
        query = query.where(Deal.sku_id == sku_id)
    return paginate(query, page=page, page_size=page_size)


def cancel_deal(*, actor_id: int, deal_id: int, now: datetime) -> Deal:
    """Cancel a deal that sold nothing; its units go back to the SKU exactly once (409 otherwise)."""
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        result = db.session.execute(
            update(Deal)
            .where(
                Deal.id == deal_id,
                Deal.status == DealStatus.ACTIVE,
                Deal.stock_available == Deal.stock_allocated,
            )
            .values(status=DealStatus.CANCELLED, cancelled_at=now)
            .execution_options(**NO_SYNC)
        )
        deal = get_deal(deal_id=deal_id)
        db.session.refresh(deal)
        if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            raise Conflict("deal_cancelled" if deal.status is DealStatus.CANCELLED else "deal_has_sales")
        db.session.execute(
            update(Sku)
            .where(Sku.id == deal.sku_id)
            .values(stock=Sku.stock + deal.stock_allocated, updated_at=now)
            .execution_options(**NO_SYNC)
        )
        db.session.refresh(deal.sku)
        before = {**_snapshot(deal), "status": DealStatus.ACTIVE.value}
        record_action(
            actor_id=actor_id,
            action="deal.cancel",
            object_type="deal",
            object_id=deal_id,
            now=now,
            before=before,
            after=_snapshot(deal),
        )
        return deal


def release_stock_of_deals(units: Mapping[int, int]) -> None:
    """Give back many orders' units at once, {deal_id: quantity}, in deal order (the jobs' bulk path).

    One executemany; the deals' CHECK (available <= allocated) refuses a release past the allocation.
    """
    if not units:
        return
    deals = cast(Table, Deal.__table__)
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        db.session.execute(
            update(deals)
            .where(deals.c.id == bindparam("b_id"))
            .values(stock_available=deals.c.stock_available + bindparam("b_qty")),
            [{"b_id": deal_id, "b_qty": quantity} for deal_id, quantity in sorted(units.items())],
        )


def release_deal_stock(*, deal_id: int, quantity: int) -> None:
    """Give back units an order held; never above what was allocated (409, nothing changes, if it would be)."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    with transaction():
        left = db.session.execute(
            update(Deal)
            .where(Deal.id == deal_id, Deal.stock_available + quantity <= Deal.stock_allocated)
            .values(stock_available=Deal.stock_available + quantity)
            .returning(Deal.stock_available)
            .execution_options(**NO_SYNC)
        ).scalar()
        if left is None:
            get_deal(deal_id=deal_id)  # 404 if unknown
            raise Conflict("stock_release_exceeds_allocation")
        if left == quantity:  # it was sold out and is back in stock
            read_cache.changed()
