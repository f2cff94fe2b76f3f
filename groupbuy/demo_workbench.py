"""The demo leader's working days, so `make run` shows a populated workbench (groupbuy/web).

团长1 (the first demo leader) gets two rounds of deals, each a day's group buying played through the real services,
never by writing statuses: demo shoppers order and pay in the sandbox before the cutoff, the closing job decides
the groups, the leader confirms and stocks (the desk), the orders are dispatched and arrive (logistics), codes are
verified at the counter, and shoppers confirm receipt.

- cut off 4 days ago: played to the end (every order completed), for the 7/30-day figures.
- cut off yesterday at 20:00: the groups succeeded; two orders still wait for the leader's confirmation; the rest
  were shipped and arrived for today's pickup with one deal short (those units refunded, latest orders first);
  a few codes are verified, one of those orders is completed, the others wait at the counter.

Every step is dated between the cutoff and now, never later. Share-page visits are counted through the service the
page uses, while the groups were open. The rounds are played again whenever the demo leader has no order for
today's pickup (a later `make run`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.accounts.service import create_user
from groupbuy.catalog.models import Deal, Product
from groupbuy.catalog.service import adjust_sku_stock, create_deal
from groupbuy.db import db
from groupbuy.flows.arrivals import record_arrival
from groupbuy.flows.closing import close_due_groups
from groupbuy.flows.dispatch import dispatch_orders
from groupbuy.flows.leader_desk import confirm_leader_orders, stock_leader_orders
from groupbuy.groups.models import Group
from groupbuy.groups.visits import count_page_view, count_page_visitor
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service import choose_my_leader
from groupbuy.orders.enums import Fulfilment, OrderStatus
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.service import CheckoutItem, confirm_receipt, place_order, verify_pickup_code
from groupbuy.payments.providers.base import PaymentChannel
from groupbuy.payments.service import pay_in_sandbox, process_due_refunds, start_payment

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHOPPER_PHONES = [f"1380000{2000 + i}" for i in range(8)]
SHOPPER_NAMES = ["小王", "阿芳", "老李", "陈姐", "张阿姨", "小周", "刘叔", "赵老师"]
ROUND_PRODUCTS = ["新疆阿克苏冰糖心", "云南蓝莓", "东北黑木耳"]  # demo products without a city deal
UNITS = 60
SHORT_BY = 3  # units missing from today's arrival of the first deal
LEFT_TO_CONFIRM = 2  # today's last orders, still waiting for the leader's confirmation


@dataclass(frozen=True)
class Round:
    cutoff_at: datetime
    pickup_date: date
    ends_at: datetime  # past rounds: noon of the pickup day; today's: now (nothing is dated in the future)
    finished: bool  # played to completion (past rounds) or left at today's counter

    def later(self, share: float) -> datetime:
        """A time after the cutoff, ``share`` of the way to the round's end."""
        return self.cutoff_at + (self.ends_at - self.cutoff_at) * share


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def demo_leader(leader_phone: str) -> Leader | None:
    return db.session.scalar(select(Leader).join(User, Leader.user_id == User.id).where(User.phone == leader_phone))


def has_orders_for(leader: Leader, day: date) -> bool:
    found = db.session.scalar(select(Order.id).where(Order.leader_id == leader.id, Order.pickup_date == day).limit(1))
    return found is not None


def _shoppers(leader: Leader, password: str, now: datetime) -> list[User]:
    shoppers = []
    for phone, name in zip(SHOPPER_PHONES, SHOPPER_NAMES, strict=True):
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is None:
            user = create_user(phone=phone, email=None, password=password, roles=[Role.SHOPPER], nickname=name, now=now)
            choose_my_leader(user_id=user.id, leader_id=leader.id, now=now)
        shoppers.append(user)
    return shoppers


def _round_deals(admin_id: int, round_: Round) -> list[Deal]:
    opened = round_.cutoff_at - timedelta(hours=30)
    deals = []
    for name in ROUND_PRODUCTS:
        product = db.session.scalar(select(Product).where(Product.name == name, Product.created_by_id == admin_id))
        if product is None or not product.skus:
            continue
        sku = product.skus[0]
        db.session.refresh(sku)
        if sku.stock < UNITS:
            adjust_sku_stock(sku_id=sku.id, delta=UNITS * 4, now=opened)
        deals.append(
            create_deal(
                actor_id=admin_id,
                sku_id=sku.id,
                title=None,
                group_price_fen=sku.list_price_fen * 7 // 10,
                starts_at=opened,
                cutoff_at=round_.cutoff_at,
                pickup_date=round_.pickup_date,
                min_group_quantity=3,
                limit_per_user=10,
                stock_allocated=UNITS,
                now=opened,
            )
        )
    return deals


def _buy(shopper: User, deal: Deal, quantity: int, at: datetime) -> int:
    """Order and pay in the sandbox, as the mini-app does."""
    placed = place_order(
        user_id=shopper.id,
        items=[CheckoutItem(deal_id=deal.id, quantity=quantity)],
        from_cart=False,
        fulfilment=Fulfilment.PICKUP,
        address_id=None,
        leader_id=None,
        now=at,
    )
    payment = start_payment(user_id=shopper.id, order_id=placed.id, channel=PaymentChannel.SANDBOX, now=at)
    token = str(payment.code_url).rsplit("/", 1)[-1]
    pay_in_sandbox(token=token, succeed=True, now=at + timedelta(minutes=1))
    return placed.id


def _visits(leader: Leader, deals: list[Deal], rng: random.Random) -> None:
    """Share-page traffic while the groups were open: some visitors come back, some bots only view."""
    for deal in deals:
        group_id = db.session.scalar(select(Group.id).where(Group.leader_id == leader.id, Group.deal_id == deal.id))
        if group_id is None:
            continue
        for n in range(rng.randint(12, 30)):
            at = deal.starts_at + timedelta(minutes=rng.randint(1, 29 * 60))
            visitor = f"demo-visitor-{rng.randint(1, 25):02d}-{n % 3}" if rng.random() < 0.85 else None
            count_page_view(group_id=group_id, visitor=visitor, now=at)
            if visitor is not None:
                count_page_visitor(group_id=group_id, visitor=visitor, now=at)


def play_round(*, admin_id: int, leader: Leader, shoppers: list[User], round_: Round, rng: random.Random) -> int:
    """One day of group buying for the demo leader, up to today's counter (or to the end for past rounds)."""
    deals = _round_deals(admin_id, round_)
    if not deals:
        return 0
    wanted = [(n, shopper, deal) for n, shopper in enumerate(shoppers) for deal in deals[: 1 + n % len(deals)]]
    window = round_.cutoff_at - deals[0].starts_at - timedelta(hours=2)
    orders = [
        _buy(shopper, deal, 1 + (n + deal.id) % 3, deals[0].starts_at + timedelta(hours=1) + window * i / len(wanted))
        for i, (n, shopper, deal) in enumerate(wanted)
    ]
    _visits(leader, deals, rng)
    close_due_groups(now=round_.cutoff_at + timedelta(minutes=1), limit=500)
    later = round_.later
    to_confirm = orders if round_.finished else orders[:-LEFT_TO_CONFIRM]  # today: two wait for the leader
    confirm_leader_orders(user_id=leader.user_id, order_ids=to_confirm, now=later(0.1))
    stock_leader_orders(user_id=leader.user_id, order_ids=to_confirm, now=later(0.15))
    dispatch_orders(leader_id=leader.id, pickup_date=round_.pickup_date, actor=f"demo:{admin_id}", now=later(0.3))
    _arrive(leader, deals, round_, later(0.5))
    process_due_refunds(now=later(0.55))  # the shortage's money goes back
    _hand_over(leader, round_, later(0.6), later(0.8))
    return len(orders)


def _arrive(leader: Leader, deals: list[Deal], round_: Round, at: datetime) -> None:
    """The goods arrive; today one deal comes SHORT_BY units short (refunded to the latest orders)."""
    received = {}
    if not round_.finished and deals:
        first = deals[0]
        ordered = db.session.scalar(
            select(func.sum(OrderLine.quantity - OrderLine.refunded_quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.leader_id == leader.id, OrderLine.deal_id == first.id, Order.status == OrderStatus.SHIPPED)
        )
        received[first.id] = max(0, int(ordered or 0) - SHORT_BY)
    record_arrival(user_id=leader.user_id, pickup_date=round_.pickup_date, received=received, now=at)


def _hand_over(leader: Leader, round_: Round, at: datetime, receipt_at: datetime) -> None:
    """Codes verified at the counter: every order of a past day (then confirmed by its shopper), a few today."""
    ready = db.session.execute(
        select(Order.id, Order.user_id, Order.pickup_code)
        .where(
            Order.leader_id == leader.id,
            Order.pickup_date == round_.pickup_date,
            Order.status == OrderStatus.READY_FOR_PICKUP,
        )
        .order_by(Order.id)
    ).all()
    handed = ready if round_.finished else ready[: len(ready) // 4]
    for n, order in enumerate(handed):
        verify_pickup_code(user_id=leader.user_id, pickup_code=str(order.pickup_code), now=at + timedelta(minutes=n))
        if round_.finished or n == 0:  # today: one shopper has already confirmed receipt
            confirm_receipt(user_id=order.user_id, order_id=order.id, now=receipt_at + timedelta(minutes=n))


def rounds(now: datetime) -> list[Round]:
    """Cut off at 20:00 the day before their pickup day: 3 days ago (finished) and yesterday (today's counter)."""
    today = now.astimezone(SHANGHAI).date()
    return [
        Round(
            cutoff_at=_at(today - timedelta(days=ago + 1), 20),
            pickup_date=today - timedelta(days=ago),
            ends_at=_at(today - timedelta(days=ago), 12) if ago else now,
            finished=ago > 0,
        )
        for ago in (3, 0)
    ]


def play_demo_days(*, admin_id: int, leader_phone: str, password: str, now: datetime) -> str | None:
    """The demo leader's days, if the workbench would otherwise be empty today; a line saying what was done."""
    leader = demo_leader(leader_phone)
    if leader is None or has_orders_for(leader, now.astimezone(SHANGHAI).date()):
        return None  # today's counter is populated already
    shoppers = _shoppers(leader, password, now - timedelta(days=10))
    rng = random.Random(int(now.timestamp()) // 86400)
    played = [
        play_round(admin_id=admin_id, leader=leader, shoppers=shoppers, round_=r, rng=rng)
        for r in rounds(now)
        if not has_orders_for(leader, r.pickup_date)  # a pickup day an earlier load already played
    ]
    statuses = db.session.execute(
        select(Order.status, func.count()).where(Order.leader_id == leader.id).group_by(Order.status)
    ).all()
    counts = ", ".join(f"{count} {status.value}" for status, count in sorted(statuses))
    return f"Demo workbench of {leader.display_name}: {sum(played)} orders over {len(played)} days ({counts})."
