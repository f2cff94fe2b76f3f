"""Add, change, remove cart lines; show them with live price, stock and per-line problems."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, select, update

from groupbuy.accounts.models import User
from groupbuy.cart.models import CartItem
from groupbuy.catalog.models import Deal, Product, Sku, UserDealPurchase
from groupbuy.catalog.service import deal_on_sale
from groupbuy.coupons.service import BestCoupon, PricedLine, best_coupon
from groupbuy.db import alone, connection, db, transaction, upsert_insert
from groupbuy.errors import Invalid, NotFound

MAX_QUANTITY = 99


@dataclass
class CartLine:
    item: CartItem
    deal: Deal
    product_name: str
    spec: str
    category_id: int
    problems: list[str] = field(default_factory=list)

    @property
    def line_total_fen(self) -> int:
        return self.deal.group_price_fen * self.item.quantity


@dataclass
class CartView:
    lines: list[CartLine]
    best_coupon: BestCoupon | None = (
        None  # of the shopper's coupons, the one taking most off the lines that can be ordered
    )

    @property
    def total_fen(self) -> int:
        return sum(line.line_total_fen for line in self.lines if not line.problems)

    @property
    def discount_fen(self) -> int:
        return self.best_coupon.discount_fen if self.best_coupon else 0

    @property
    def payable_fen(self) -> int:
        """What ordering the cart would cost with the best coupon (a delivery fee comes on top)."""
        return self.total_fen - self.discount_fen


_DEAL_EXISTS = select(Deal.id).where(Deal.id == bindparam("deal_id"))
_LINE_COLUMNS = ("user_id", "deal_id", "quantity", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class WrittenLine:
    """A cart line as a write left it, what the doors answer (CartItemSchema): a plain value, because building a
    transient CartItem cost about 7 % of a cart add's CPU (measured in-process on PostgreSQL)."""

    id: int
    deal_id: int
    quantity: int


_WRITTEN = (CartItem.id, CartItem.deal_id, CartItem.quantity)  # WrittenLine's fields, in order


@functools.cache
def _merge_line(dialect_name: str) -> Any:
    """One statement: insert the line if the deal exists, or add to the line already there while the sum stays
    within MAX_QUANTITY; no row back when either fails."""
    columns = CartItem.__table__.c
    values = select(*(bindparam(name, type_=columns[name].type) for name in _LINE_COLUMNS)).where(
        exists().where(Deal.id == bindparam("deal_id"))
    )
    statement = upsert_insert(dialect_name, CartItem).from_select(list(_LINE_COLUMNS), values)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "deal_id"],
        set_={"quantity": CartItem.quantity + statement.excluded.quantity, "updated_at": statement.excluded.updated_at},
        where=CartItem.quantity + statement.excluded.quantity <= MAX_QUANTITY,
    ).returning(*_WRITTEN)


def add_to_cart(*, user_id: int, deal_id: int, quantity: int, now: datetime) -> WrittenLine:
    """Adding a deal already in the cart adds to its line (at most 99): one statement standing alone (atomic by
    itself, one round trip); only a refusal reads again, to say why."""
    params = {"user_id": user_id, "deal_id": deal_id, "quantity": quantity, "created_at": now, "updated_at": now}
    with alone() as conn:
        merged = conn.execute(_merge_line(conn.dialect.name), params).first()
        if merged is None:
            if conn.execute(_DEAL_EXISTS, {"deal_id": deal_id}).first() is None:
                raise NotFound()
            raise Invalid("cart_quantity_exceeded", errors={"quantity": [f"at most {MAX_QUANTITY} per line"]})
    return WrittenLine(*merged)  # the line as written: no read back


_SET_QUANTITY = (
    update(CartItem)
    .where(CartItem.id == bindparam("item_id"), CartItem.user_id == bindparam("owner_id"))
    .values(quantity=bindparam("new_quantity"), updated_at=bindparam("now"))
    .returning(*_WRITTEN)
)
_REMOVE = delete(CartItem).where(CartItem.id == bindparam("item_id"), CartItem.user_id == bindparam("owner_id"))


def set_cart_quantity(*, user_id: int, item_id: int, quantity: int, now: datetime) -> WrittenLine:
    """Change one of my lines' quantity (1–99): one conditional UPDATE; a line gone (or not mine) is 404."""
    with transaction():
        row = (
            connection()
            .execute(_SET_QUANTITY, {"item_id": item_id, "owner_id": user_id, "new_quantity": quantity, "now": now})
            .first()
        )
        if row is None:
            raise NotFound()
        return WrittenLine(*row)  # the line as written


def remove_from_cart(*, user_id: int, item_id: int) -> None:
    """Delete one of my lines: one conditional DELETE; a line already gone (or not mine) is 404."""
    with transaction():
        if not connection().execute(_REMOVE, {"item_id": item_id, "owner_id": user_id}).rowcount:
            raise NotFound()


def view_cart(*, user_id: int, now: datetime) -> CartView:
    """Every line with its live price and stock; a problem marks the line, never fails the cart."""
    items = db.session.scalars(
        select(CartItem).where(CartItem.user_id == user_id).order_by(CartItem.created_at, CartItem.id)
    ).all()
    purchases = select(UserDealPurchase.deal_id, UserDealPurchase.quantity).where(UserDealPurchase.user_id == user_id)
    bought: dict[int, int] = {row.deal_id: row.quantity for row in db.session.execute(purchases)}
    lines = []
    for item in items:
        deal = db.session.get_one(Deal, item.deal_id)
        sku = db.session.get_one(Sku, deal.sku_id)
        product = db.session.get_one(Product, sku.product_id)
        line = CartLine(item=item, deal=deal, product_name=product.name, spec=sku.spec, category_id=product.category_id)
        if not deal_on_sale(deal, now):
            line.problems.append("deal_closed")
        elif deal.stock_available < item.quantity:
            line.problems.append("sold_out")
        if bought.get(deal.id, 0) + item.quantity > deal.limit_per_user:
            line.problems.append("over_limit")
        lines.append(line)
    priced = [PricedLine(x.deal.id, x.category_id, x.line_total_fen) for x in lines if not x.problems]
    leader_id = db.session.scalar(select(User.current_leader_id).where(User.id == user_id))
    return CartView(lines=lines, best_coupon=best_coupon(user_id=user_id, leader_id=leader_id, lines=priced, now=now))
