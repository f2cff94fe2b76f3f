"""The shopper's deal list and deal page: what is on sale now, ranked by match, then standing (the deal's rating,
its leader's rating and credit: groupbuy/reviews/standing.py), then closing soonest, then newest.

The pages also show the shopper's leader's group for each deal: groups (a floor up) adds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from groupbuy.catalog.enums import DealPhase, DealStatus, ProductStatus
from groupbuy.catalog.models import Category, Deal, Product, Sku
from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db
from groupbuy.errors import NotFound


@dataclass(frozen=True)
class DealView:
    """A deal as a shopper sees it at ``now``."""

    deal: Deal
    now: datetime

    @property
    def product(self) -> Product:
        return self.deal.sku.product

    @property
    def id(self) -> int:
        return self.deal.id

    @property
    def title(self) -> str:
        return self.deal.title

    @property
    def spec(self) -> str:
        return self.deal.sku.spec

    @property
    def image(self) -> str | None:
        return self.product.images[0] if self.product.images else None

    @property
    def images(self) -> list[str]:
        return list(self.product.images)

    @property
    def description(self) -> str:
        return self.product.description

    @property
    def category(self) -> Category:
        return self.product.category

    @property
    def group_price_fen(self) -> int:
        return self.deal.group_price_fen

    @property
    def list_price_fen(self) -> int:
        return self.deal.sku.list_price_fen

    @property
    def stock_left(self) -> int:
        return self.deal.stock_available

    @property
    def sold_out(self) -> bool:
        return self.deal.stock_available == 0

    @property
    def starts_at(self) -> datetime:
        return self.deal.starts_at

    @property
    def cutoff_at(self) -> datetime:
        return self.deal.cutoff_at

    @property
    def seconds_to_cutoff(self) -> int:
        return max(0, int((self.deal.cutoff_at - self.now).total_seconds()))

    @property
    def pickup_date(self) -> date:
        return self.deal.pickup_date

    @property
    def min_group_quantity(self) -> int:
        return self.deal.min_group_quantity

    @property
    def limit_per_user(self) -> int:
        return self.deal.limit_per_user

    @property
    def status(self) -> DealPhase:
        return deal_phase(self.deal, now=self.now)

    @property
    def member_prices(self) -> list[dict[str, Any]]:
        """The deal's member prices, lowest tier first (one query, only where a page shows them)."""
        return member_prices_of(self.deal)


def member_prices_of(deal: Deal) -> list[dict[str, Any]]:
    return [{"tier": p.tier.value, "price_fen": p.price_fen} for p in deal.member_prices_by_tier]


def deal_phase(deal: Deal, *, now: datetime) -> DealPhase:
    """cancelled, else upcoming before starts_at, on sale until cutoff_at, closed from then on."""
    return phase_of(status=deal.status, starts_at=deal.starts_at, cutoff_at=deal.cutoff_at, now=now)


def phase_of(*, status: DealStatus, starts_at: datetime, cutoff_at: datetime, now: datetime) -> DealPhase:
    """The rule of deal_phase on bare columns (the checkout reads deals as rows, not models)."""
    if status is DealStatus.CANCELLED:
        return DealPhase.CANCELLED
    if now < starts_at:
        return DealPhase.UPCOMING
    return DealPhase.ON_SALE if now < cutoff_at else DealPhase.CLOSED


def deal_on_sale(deal: Deal, now: datetime) -> bool:
    """Orders, carts and groups may join a deal only now: active deal and product, starts_at <= now < cutoff_at."""
    return deal_phase(deal, now=now) is DealPhase.ON_SALE and deal.sku.product.status is ProductStatus.ACTIVE


def _with_product() -> Select[Any]:
    """Deals joined to their SKU and product (filtered and ranked on), loaded from the same join."""
    return (
        select(Deal)
        .join(Deal.sku)
        .join(Sku.product)
        .options(contains_eager(Deal.sku).contains_eager(Sku.product))
        .where(Product.status == ProductStatus.ACTIVE)
    )


def list_deals_on_sale(
    *,
    q: str | None,
    category_id: int | None,
    page: int,
    page_size: int,
    now: datetime,
) -> Page[DealView]:
    """On sale now (active deal and product, starts_at <= now < cutoff_at); title/name matches rank first, then
    standing, then closing soonest and newest."""
    query = _with_product().where(Deal.status == DealStatus.ACTIVE, Deal.starts_at <= now, Deal.cutoff_at > now)
    if category_id is not None:
        query = query.where(Product.category_id == category_id)
    ranking: list[ColumnElement[Any]] = []
    term = (q or "").strip()
    if term:
        title_hit = or_(Deal.title.icontains(term, autoescape=True), Product.name.icontains(term, autoescape=True))
        query = query.where(or_(title_hit, Product.description.icontains(term, autoescape=True)))
        ranking.append(case((title_hit, 0), else_=1))
    # Seed 001: match, then standing (deals.standing, written by groupbuy/reviews), then recency (closing soonest,
    # then newest, among deals of equal standing).
    query = query.order_by(*ranking, Deal.standing.desc(), Deal.cutoff_at.asc(), Deal.created_at.desc(), Deal.id.desc())
    found = paginate(query, page=page, page_size=page_size)
    return Page(
        items=[DealView(deal, now) for deal in found.items],
        page=found.page,
        page_size=found.page_size,
        total=found.total,
    )


def next_phase_change(*, now: datetime) -> datetime | None:
    """The next time any active deal opens or closes: a kept deal list is stale from then on (one statement)."""
    live = Deal.status == DealStatus.ACTIVE
    opens = select(func.min(Deal.starts_at)).where(live, Deal.starts_at > now).scalar_subquery()
    closes = select(func.min(Deal.cutoff_at)).where(live, Deal.cutoff_at > now).scalar_subquery()
    found = [moment for moment in db.session.execute(select(opens, closes)).one() if moment is not None]
    return min(found, default=None)


def next_phase_change_of(deal: Deal, *, now: datetime) -> datetime | None:
    """When this deal next opens or closes, if it still will."""
    return next((moment for moment in (deal.starts_at, deal.cutoff_at) if moment > now), None)


def get_deal_view(*, deal_id: int, now: datetime) -> DealView:
    """Any deal of an active product, with its phase; unknown deals and withdrawn or held products are 404."""
    page = _with_product().where(Deal.id == deal_id).options(joinedload(Deal.member_prices))  # one statement
    deal = db.session.execute(page).unique().scalar_one_or_none()
    if deal is None:
        raise NotFound()
    return DealView(deal, now)
