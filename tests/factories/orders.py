"""Orders with their line, timeline, group, payment and refunds, written directly in the state the services leave.

    OrderFactory()                                   pending_payment, one line of a new deal
    OrderFactory(paid=True)                          paid, with its pickup code and a sandbox payment
    OrderFactory(in_failed_group=True, paid=True)    refunding: the group failed at the cutoff, the line is refunding
    OrderFactory(in_failed_group=True)               cancelled: the group failed before it was paid
    OrderFactory(refunded=True)                      refunded after the shopper cancelled (paid → refunding → refunded)
    OrderFactory(refunded=True, in_failed_group=True)  refunded after its group failed

Rows are written as they are, like DealFactory's: the deal's stock, the per-user limit and the group's counters are
not moved. Tests about conservation place orders through the API (tests.factories.market.Shop).
``tests/orders/test_factories.py`` holds each trait to what the services make.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import factory
from sqlalchemy import select

from groupbuy import clock
from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.groups.enums import GroupOpenedBy, GroupStatus
from groupbuy.groups.models import Group
from groupbuy.notifications.templates import yuan
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus, RefundReason
from groupbuy.orders.models import Order, OrderLine, OrderRefund, OrderRefundLine, OrderTimelineEvent
from groupbuy.orders.service.line_refunds import REASON_TEXT
from groupbuy.payments.enums import RefundSource
from groupbuy.payments.models import Payment
from tests.factories.accounts import make_user
from tests.factories.base import ModelFactory
from tests.factories.catalog import DealFactory
from tests.factories.leaders import LeaderFactory
from tests.factories.payments import PaymentFactory, RefundFactory

PLACED, PAID, REFUNDED = "placed", "paid", "refunded"
PAY_AFTER = timedelta(minutes=1)
REFUND_TAKES = timedelta(minutes=5)


def group_of(*, leader_id: int, deal_id: int, failed_at: datetime | None = None) -> Group:
    """The leader's group for the deal (one per pair), made open if missing; failed at ``failed_at`` if given."""
    with transaction():
        group = db.session.scalar(select(Group).where(Group.leader_id == leader_id, Group.deal_id == deal_id))
        if group is None:
            group = Group(leader_id=leader_id, deal_id=deal_id, status=GroupStatus.OPEN, opened_by=GroupOpenedBy.ORDER)
            group.created_at = clock.now()
            db.session.add(group)
        if failed_at is not None:
            group.status, group.closed_at = GroupStatus.FAILED, failed_at
    return group


class OrderFactory(ModelFactory):
    class Meta:
        model = Order

    class Params:
        paid = factory.Trait(stage=PAID)
        refunded = factory.Trait(stage=REFUNDED)
        in_failed_group = factory.Trait(group_failed=True)

    stage = PLACED
    group_failed = False
    deal = factory.SubFactory(DealFactory)
    quantity = 1
    placed_at = factory.LazyFunction(clock.now)
    user_id = factory.LazyFunction(lambda: make_user().id)
    leader_id = factory.LazyFunction(lambda: LeaderFactory().id)
    order_no = factory.Sequence(lambda n: f"GB20261122{n:010d}")
    fulfilment = Fulfilment.PICKUP

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Order:
        stage, group_failed = kwargs.pop("stage"), kwargs.pop("group_failed")
        deal = kwargs.pop("deal")
        deal = deal if isinstance(deal, Deal) else db.session.get_one(Deal, deal)  # a Deal or a deal id
        quantity: int = kwargs.pop("quantity")
        at: datetime = kwargs.pop("placed_at")
        group = group_of(
            leader_id=kwargs["leader_id"], deal_id=deal.id, failed_at=deal.cutoff_at if group_failed else None
        )
        total = deal.group_price_fen * quantity
        line = OrderLine(
            deal_id=deal.id,
            group_id=group.id,
            product_name=deal.sku.product.name,
            spec=deal.sku.spec,
            unit_price_fen=deal.group_price_fen,
            quantity=quantity,
            line_total_fen=total,
            pickup_date=deal.pickup_date,
            status=LineStatus.ACTIVE,
            refund_reason=None,
            refunded_quantity=0,
            refunded_fen=0,
        )
        order = model_class(
            **{
                "status": OrderStatus.PENDING_PAYMENT,
                "address": None,
                "items_fen": total,
                "delivery_fee_fen": 0,
                "discount_fen": 0,
                "payable_fen": total,
                "paid_fen": 0,
                "refund_due_fen": 0,
                "refunded_fen": 0,
                "pickup_date": deal.pickup_date,
                "pickup_code": None,
                "pay_before": at + timedelta(minutes=15),
                "paid_at": None,
                "closed_at": None,
                "created_at": at,
                "updated_at": at,
                "lines": [line],
                **kwargs,
            }
        )
        _event(order, OrderEvent.PLACE, OrderStatus.PENDING_PAYMENT, f"user:{order.user_id}", at)
        if stage == PLACED:
            if group_failed:  # closing cancels an unpaid order of a failed group
                _event(order, OrderEvent.GROUP_FAIL, OrderStatus.CANCELLED, "system", deal.cutoff_at)
            with transaction():
                db.session.add(order)
            return order
        order.paid_fen, order.paid_at, order.pickup_code = total, at + PAY_AFTER, f"{next(_pickup_codes):08d}"
        _event(order, OrderEvent.PAY, OrderStatus.PAID, "test", order.paid_at)
        with transaction():
            db.session.add(order)
        payment = PaymentFactory(order_id=order.id, amount_fen=total, created_at=at, paid_at=order.paid_at)
        if stage == PAID and not group_failed:
            return order
        cut_off = deal.cutoff_at if group_failed else order.paid_at  # or the shopper cancels once paid
        ledger = _refund_line(order, line, group_failed=group_failed, at=cut_off)
        if stage == REFUNDED:
            _refund_arrives(order, line, ledger, payment, at=ledger.created_at + REFUND_TAKES)
        return order


_pickup_codes = itertools.count(10_000_000)


def _event(order: Order, event: OrderEvent, to: OrderStatus, actor: str, at: datetime, note: str | None = None) -> None:
    came_from = None if event is OrderEvent.PLACE else order.status
    order.events.append(
        OrderTimelineEvent(event=event, from_status=came_from, to_status=to, actor=actor, note=note, at=at)
    )
    order.status, order.updated_at = to, at


def _refund_line(order: Order, line: OrderLine, *, group_failed: bool, at: datetime) -> OrderRefund:
    """Every unit of the line refunded (refund_lines): the amount leaves the order's items for refund_due_fen."""
    reason = RefundReason.GROUP_FAILED if group_failed else RefundReason.ORDER_CANCELLED
    event, actor = (OrderEvent.GROUP_FAIL, "system") if group_failed else (OrderEvent.CANCEL, f"user:{order.user_id}")
    with transaction(), db.session.no_autoflush:  # one UPDATE per row: the CHECKs hold only for the whole change
        line.status, line.refund_reason = LineStatus.REFUNDING, reason
        line.refunded_quantity, line.refunded_fen = line.quantity, line.line_total_fen
        order.items_fen = order.payable_fen = 0
        order.refund_due_fen = line.line_total_fen
        note = f"{line.product_name} ×{line.quantity} {REASON_TEXT[reason]}，已退款 {yuan(line.line_total_fen)}"
        _event(order, event, OrderStatus.REFUNDING, actor, at, note)
        ledger = OrderRefund(
            order_id=order.id, reason=reason, amount_fen=line.line_total_fen, delivery_fee_fen=0, actor=actor
        )
        ledger.created_at = at
        ledger.lines = [OrderRefundLine(line_id=line.id, quantity=line.quantity, amount_fen=line.line_total_fen)]
        db.session.add(ledger)
    return ledger


def _refund_arrives(order: Order, line: OrderLine, ledger: OrderRefund, payment: Payment, *, at: datetime) -> None:
    """The provider refunded the money: the refund row succeeded, the line and then the order are refunded."""
    RefundFactory(
        payment_id=payment.id,
        order_id=order.id,
        order_refund_id=ledger.id,
        amount_fen=ledger.amount_fen,
        source=RefundSource.GROUP_FAILED if ledger.reason is RefundReason.GROUP_FAILED else RefundSource.CANCELLATION,
        reason=ledger.reason.value,
        created_at=ledger.created_at,
        succeeded_at=at,
    )
    with transaction(), db.session.no_autoflush:
        payment.refunded_fen += ledger.amount_fen
        ledger.refunded_at = at
        line.status = LineStatus.REFUNDED
        order.refunded_fen += ledger.amount_fen
        _event(
            order, OrderEvent.REFUND_DONE, OrderStatus.REFUNDED, "payments", at, f"refunded {order.refunded_fen} fen"
        )
        order.closed_at = at
        db.session.add_all([payment, ledger, line, order])
