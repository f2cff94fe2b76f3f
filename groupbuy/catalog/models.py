"""Categories, products, SKUs and deals; stock moves only by conditional UPDATEs (see service/deals.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupbuy.accounts.enums import Tier
from groupbuy.catalog.enums import DealStatus, ProductStatus
from groupbuy.db import ID, Base, enum_column


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Fresh produce (生鲜): after-sale requests must come within the short fresh window (aftersales/service/windows.py)
    is_fresh: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Product(Base):
    """A listing: what is sold (name is the listing title), by which supplier, in which category."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    supplier: Mapped[str] = mapped_column(String(80))
    # Normalised "supplier|name": the same listing posted twice within the window is refused.
    listing_key: Mapped[str] = mapped_column(String(160))
    status: Mapped[ProductStatus] = mapped_column(enum_column(ProductStatus, "product_status"))
    moderation_reason: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    skus: Mapped[list[Sku]] = relationship(back_populates="product", lazy="selectin", order_by="Sku.id")

    __table_args__ = (
        Index("ix_products_listing_key_created", "listing_key", "created_at"),
        Index("ix_products_status_created", "status", "created_at"),
    )


class Sku(Base):
    """One sellable variant; ``stock`` is what is not yet allocated to any deal."""

    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    spec: Mapped[str] = mapped_column(String(40))
    list_price_fen: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    product: Mapped[Product] = relationship(back_populates="skus", lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("product_id", "spec"),
        CheckConstraint("stock >= 0", name="stock_nonnegative"),
        CheckConstraint("list_price_fen > 0", name="list_price_positive"),
    )


class Deal(Base):
    """One SKU at a group price between starts_at and cutoff_at, with units taken from the SKU's stock."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    group_price_fen: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime]
    cutoff_at: Mapped[datetime]
    pickup_date: Mapped[date]
    min_group_quantity: Mapped[int] = mapped_column(Integer, default=1)
    limit_per_user: Mapped[int] = mapped_column(Integer, default=99)
    stock_allocated: Mapped[int] = mapped_column(Integer)
    stock_available: Mapped[int] = mapped_column(Integer)
    status: Mapped[DealStatus] = mapped_column(enum_column(DealStatus, "deal_status"), default=DealStatus.ACTIVE)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    # Standing, written by groupbuy/reviews (a floor up) and read by the deal list's ranking: the share of positive
    # (4-5 star) goods reviews over the rating window x 10000 (None: none), their count, and one ranking figure
    # that also weighs its leader's rating and credit (groupbuy/reviews/standing.py).
    rating_bp: Mapped[int | None] = mapped_column(Integer)
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    standing: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    sku: Mapped[Sku] = relationship(lazy="joined", innerjoin=True)
    # Loaded only where shown (the deal page, the admin's deal): lists and checkout never touch it.
    member_prices: Mapped[list[DealMemberPrice]] = relationship(lazy="select", viewonly=True)

    __table_args__ = (
        Index("ix_deals_status_cutoff", "status", "cutoff_at"),
        CheckConstraint("stock_allocated >= 1", name="stock_allocated_positive"),
        CheckConstraint("stock_available >= 0", name="stock_available_nonnegative"),
        CheckConstraint("stock_available <= stock_allocated", name="stock_available_within_allocated"),
        CheckConstraint("group_price_fen > 0", name="group_price_positive"),
        CheckConstraint("min_group_quantity >= 1", name="min_group_quantity_positive"),
        CheckConstraint("limit_per_user >= 1", name="limit_per_user_positive"),
        CheckConstraint("cutoff_at > starts_at", name="cutoff_after_start"),
    )


class UserDealPurchase(Base):
    """Units a user holds in live orders of a deal: the deal's per-user limit is checked on this row atomically
    (orders moves it; carts read it)."""

    __tablename__ = "user_deal_purchases"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_nonnegative"),)


class DealMemberPrice(Base):
    """A deal's price for shoppers of one membership tier (and the tiers above it): below the group price and not
    under the platform's floor (settings.member_price_max_discount_percent off the group price)."""

    __tablename__ = "deal_member_prices"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "deal_member_price_tier"), primary_key=True)
    price_fen: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("price_fen > 0", name="price_positive"),)
