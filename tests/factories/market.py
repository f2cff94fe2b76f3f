"""A small market for order, cart and group tests: one leader, deals on sale around T0, shoppers who chose him."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.groups.models import Group
from groupbuy.groups.service import close_group
from groupbuy.leaders.models import Leader
from tests.factories.accounts import AddressFactory, bearer, make_user
from tests.factories.catalog import DealFactory
from tests.factories.leaders import LeaderFactory

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
_keys = itertools.count()


def order_body(deal_id: int, quantity: int) -> dict[str, Any]:
    return {"items": [{"deal_id": deal_id, "quantity": quantity}], "fulfilment": "pickup"}


class Shop:
    """Builds the world an order needs; every method commits through the factories."""

    default_stock = 100
    starts = T0 - timedelta(hours=2)
    cutoff = T0 + timedelta(hours=10)

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context(), clock.frozen(self.starts - timedelta(days=1)):
            self.leader_id = LeaderFactory().id

    def deal(
        self, *, price_fen: int = 990, stock: int | None = None, limit_per_user: int = 99, min_group_quantity: int = 1
    ) -> int:
        stock = self.default_stock if stock is None else stock
        with self.app.app_context():
            return DealFactory(
                group_price_fen=price_fen,
                stock_allocated=stock,
                stock_available=stock,
                limit_per_user=limit_per_user,
                min_group_quantity=min_group_quantity,
                starts_at=self.starts,
                cutoff_at=self.cutoff,
                pickup_date=date(2026, 11, 23),
            ).id

    def shopper(self, *, with_leader: bool = True) -> User:
        with self.app.app_context():
            user = make_user(current_leader_id=self.leader_id if with_leader else None)
            db.session.expunge(user)
            return user

    def auth(self, user: User) -> dict[str, str]:
        with self.app.app_context():
            return bearer(db.session.get_one(User, user.id))

    def leader_auth(self) -> dict[str, str]:
        """Authorization headers for this shop's leader (a user with the leader role)."""
        with self.app.app_context():
            user = db.session.get_one(User, db.session.get_one(Leader, self.leader_id).user_id)
            assert Role.LEADER in user.role_names
            return bearer(user)

    def key(self, user: User, key: str | None = None) -> dict[str, str]:
        return {**self.auth(user), "Idempotency-Key": key or f"k-{next(_keys)}-{uuid.uuid4().hex[:8]}"}

    def set_deal(self, deal_id: int, **values: Any) -> None:
        with self.app.app_context(), transaction():
            db.session.execute(update(Deal).where(Deal.id == deal_id).values(**values))

    def offer_delivery(self, *, fee_fen: int) -> None:
        with self.app.app_context(), transaction():
            db.session.execute(
                update(Leader).where(Leader.id == self.leader_id).values(offers_delivery=True, delivery_fee_fen=fee_fen)
            )

    def address(self, user: User) -> int:
        with self.app.app_context():
            return AddressFactory(user_id=user.id, is_default=True).id

    def close_groups(self, at: datetime | None = None) -> None:
        with self.app.app_context():
            for group_id in db.session.scalars(select(Group.id)).all():
                close_group(group_id=group_id, now=at or clock.now())
