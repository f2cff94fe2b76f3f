"""Checkout: a cart (or explicit items) becomes one order per leader, with stock, limits and groups reserved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from groupbuy.accounts.models import Address, User
from groupbuy.cart.models import CartItem
from groupbuy.catalog.models import Deal, Product, Sku
from groupbuy.catalog.service import deal_on_sale, reserve_deal_stock
from groupbuy.db import db, insert_or_ignore, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.groups.service import join_group
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import Fulfilment, OrderEvent, OrderStatus
from groupbuy.orders.models import Order, OrderLine, OrderTimelineEvent, UserDealPurchase
from groupbuy.orders.service.numbers import new_order_no


@dataclass(frozen=True)
class CheckoutItem:
    deal_id: int
    quantity: int


def _merge(items: list[CheckoutItem]) -> list[CheckoutItem]:
    """Same deal twice becomes one line; sorted by deal so concurrent checkouts lock rows in one order."""
    totals: dict[int, int] = {}
    for item in items:
        totals[item.deal_id] = totals.get(item.deal_id, 0) + item.quantity
    merged = [CheckoutItem(deal_id=d, quantity=q) for d, q in sorted(totals.items())]
    for item in merged:
        if not 1 <= item.quantity <= 99:
            raise Invalid(errors={"items": [f"deal {item.deal_id}: quantity must be 1-99"]})
    return merged


def _leader_for(user: User, leader_id: int | None) -> Leader:
    chosen = leader_id or user.current_leader_id
    if chosen is None:
        raise Invalid("leader_required", errors={"leader_id": ["choose a leader (pickup point) first"]})
    leader = db.session.get(Leader, chosen)
    if leader is None or leader.status is not LeaderStatus.ACTIVE:
        raise NotFound()
    return leader


def _delivery_address(user: User, leader: Leader, fulfilment: Fulfilment, address_id: int | None) -> dict | None:  # type: ignore[type-arg]
    if fulfilment is Fulfilment.PICKUP:
        return None
    if not leader.offers_delivery:
        raise Conflict("delivery_unavailable")
    if address_id is None:
        raise Invalid(errors={"address_id": ["required for home delivery"]})
    address = db.session.scalar(select(Address).where(Address.id == address_id, Address.user_id == user.id))
    if address is None:
        raise NotFound()
    return {
        "recipient": address.recipient,
        "phone": address.phone,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
    }


def _reserve_limit(user_id: int, deal: Deal, quantity: int) -> None:
    """Count the units against the per-user limit in one conditional upsert."""
    statement = insert_or_ignore(UserDealPurchase).values(user_id=user_id, deal_id=deal.id, quantity=quantity)
    counted = db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "deal_id"],
            set_={"quantity": UserDealPurchase.quantity + statement.excluded.quantity},
            where=UserDealPurchase.quantity + statement.excluded.quantity <= deal.limit_per_user,
        ).returning(UserDealPurchase.quantity)
    ).first()
    if counted is None or quantity > deal.limit_per_user:
        raise Conflict(
            "limit_exceeded", detail=(f"每人限购 {deal.limit_per_user} 件", f"At most {deal.limit_per_user} per person")
        )


def _line(deal: Deal, group_id: int, quantity: int) -> OrderLine:
    sku = db.session.get_one(Sku, deal.sku_id)
    product = db.session.get_one(Product, sku.product_id)
    return OrderLine(
        deal_id=deal.id,
        group_id=group_id,
        product_name=product.name,
        spec=sku.spec,
        unit_price_fen=deal.group_price_fen,
        quantity=quantity,
        line_total_fen=deal.group_price_fen * quantity,
        pickup_date=deal.pickup_date,
    )


def place_order(
    *,
    user_id: int,
    items: list[CheckoutItem] | None,
    from_cart: bool,
    fulfilment: Fulfilment,
    address_id: int | None,
    leader_id: int | None,
    idempotency_key: str | None,
    now: datetime,
) -> Order:
    """Reserve limit, stock and group units per line in one transaction; any refusal leaves nothing behind."""
    with transaction():
        if idempotency_key:
            previous = db.session.scalar(
                select(Order).where(Order.user_id == user_id, Order.idempotency_key == idempotency_key)
            )
            if previous is not None:  # a retry after a crash between commit and answer
                return previous
        user = db.session.get_one(User, user_id)
        if from_cart:
            rows = db.session.scalars(select(CartItem).where(CartItem.user_id == user_id)).all()
            items = [CheckoutItem(deal_id=r.deal_id, quantity=r.quantity) for r in rows]
        if not items:
            raise Invalid("empty_order", errors={"items": ["nothing to order"]})
        merged = _merge(items)
        leader = _leader_for(user, leader_id)
        address = _delivery_address(user, leader, fulfilment, address_id)
        wanted: list[tuple[Deal, int]] = []
        for item in merged:
            deal = db.session.get(Deal, item.deal_id)
            if deal is None:
                raise Invalid(errors={"items": [f"deal {item.deal_id} does not exist"]})
            if not deal_on_sale(deal, now):
                raise Conflict("deal_closed")
            if deal.stock_available < item.quantity:  # a lock-free early "no"; the UPDATE below decides
                raise Conflict("deal_sold_out")
            _reserve_limit(user_id, deal, item.quantity)
            wanted.append((deal, item.quantity))
        items_fen = sum(deal.group_price_fen * quantity for deal, quantity in wanted)
        delivery_fee = leader.delivery_fee_fen if fulfilment is Fulfilment.DELIVERY else 0
        limit = int(current_app.config["MAX_ORDER_PAYABLE_FEN"])
        if items_fen + delivery_fee > limit:
            raise Conflict(
                "payable_over_limit",
                detail=(f"单笔订单金额不能超过 {limit / 100:.2f} 元", f"An order may not exceed ¥{limit / 100:.2f}"),
            )
        order = _insert_order(
            user_id=user_id,
            leader=leader,
            fulfilment=fulfilment,
            address=address,
            pickup_date=max(deal.pickup_date for deal, _ in wanted),
            items_fen=items_fen,
            delivery_fee=delivery_fee,
            idempotency_key=idempotency_key,
            now=now,
        )
        # The contended rows (deal stock, the group) are locked last, so they are held only until the commit.
        for deal, quantity in wanted:
            if not reserve_deal_stock(deal_id=deal.id, quantity=quantity):
                raise Conflict("deal_sold_out")
            group_id = join_group(leader_id=leader.id, deal_id=deal.id, quantity=quantity, now=now)
            order.lines.append(_line(deal, group_id, quantity))
        db.session.execute(
            delete(CartItem).where(CartItem.user_id == user_id, CartItem.deal_id.in_([i.deal_id for i in merged]))
        )
        return order


def _insert_order(
    *,
    user_id: int,
    leader: Leader,
    fulfilment: Fulfilment,
    address: dict | None,  # type: ignore[type-arg]
    pickup_date: date,
    items_fen: int,
    delivery_fee: int,
    idempotency_key: str | None,
    now: datetime,
) -> Order:
    window = timedelta(minutes=int(current_app.config["PAYMENT_WINDOW_MINUTES"]))
    for _ in range(5):
        order = Order(
            order_no=new_order_no(now),
            user_id=user_id,
            leader_id=leader.id,
            status=OrderStatus.PENDING_PAYMENT,
            fulfilment=fulfilment,
            address=address,
            items_fen=items_fen,
            delivery_fee_fen=delivery_fee,
            discount_fen=0,
            payable_fen=items_fen + delivery_fee,
            paid_fen=0,
            refund_due_fen=0,
            refunded_fen=0,
            pickup_date=pickup_date,
            pay_before=now + window,
            idempotency_key=idempotency_key,
            created_at=now,
            updated_at=now,
            lines=[],
        )
        order.events = [
            OrderTimelineEvent(
                event=OrderEvent.PLACE,
                from_status=None,
                to_status=OrderStatus.PENDING_PAYMENT,
                actor=f"user:{user_id}",
                at=now,
            )
        ]
        try:
            with db.session.begin_nested():  # an order_no clash (or a concurrent same-key order) surfaces here
                db.session.add(order)
            return order
        except IntegrityError:
            if (
                idempotency_key
                and db.session.scalar(
                    select(Order.id).where(Order.user_id == user_id, Order.idempotency_key == idempotency_key)
                )
                is not None
            ):
                raise Conflict("idempotency_key_in_flight") from None
    raise Conflict("order_no_exhausted")
