"""Catalog fixtures: a frozen clock, an admin, request bodies, and shortcuts to read the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.audit.models import AuditEntry
from groupbuy.catalog.models import Category, Deal, Sku
from groupbuy.db import db
from tests.factories.accounts import bearer, make_user
from tests.factories.catalog import CategoryFactory, SkuFactory

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with clock.frozen(T0):
        yield


@pytest.fixture
def admin(app: Flask) -> User:
    with app.app_context():
        return make_user(Role.ADMIN)


@pytest.fixture
def admin_headers(app: Flask, admin: User) -> dict[str, str]:
    with app.app_context():
        return bearer(admin)


@pytest.fixture
def shopper_headers(app: Flask) -> dict[str, str]:
    with app.app_context():
        return bearer(make_user())


@pytest.fixture
def category_id(app: Flask) -> int:
    with app.app_context():
        category: Category = CategoryFactory(name="水果")
        return category.id


@pytest.fixture
def sku_id(app: Flask) -> int:
    """A SKU of an active product, 100 units in stock."""
    with app.app_context():
        sku: Sku = SkuFactory(stock=100)
        return sku.id


def product_body(category_id: int, /, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "山东烟台红富士苹果",
        "description": "产地直发，脆甜多汁，单果约 200 克，坏果包赔。",
        "images": ["https://img.example.com/apple.jpg"],
        "category_id": category_id,
        "supplier": "烟台果业合作社",
        **overrides,
    }


def deal_body(sku_id: int, /, **overrides: Any) -> dict[str, Any]:
    """On sale from T0 for a day, picked up the day after the cutoff."""
    return {
        "sku_id": sku_id,
        "group_price_fen": 1990,
        "starts_at": T0.isoformat(),
        "cutoff_at": (T0 + timedelta(days=1)).isoformat(),
        "pickup_date": "2026-11-22",
        "min_group_quantity": 5,
        "limit_per_user": 3,
        "stock_allocated": 10,
        **overrides,
    }


def sku_stock(app: Flask, sku_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Sku.stock).where(Sku.id == sku_id)) or 0


def allocated_to_live_deals(app: Flask, sku_id: int) -> int:
    with app.app_context():
        query = select(func.coalesce(func.sum(Deal.stock_allocated), 0)).where(
            Deal.sku_id == sku_id, Deal.status == "active"
        )
        return db.session.scalar(query) or 0


def audit_actions(app: Flask, object_type: str) -> list[str]:
    with app.app_context():
        query = select(AuditEntry.action).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
        return list(db.session.scalars(query))
