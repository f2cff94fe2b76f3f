"""A Hypothesis state machine over checkout (with or without a coupon)/pay/cancel/expire/fulfil/confirm, groups
failing and lines refunded in part, with payments' refunds sent; invariants after every step (stock, limits,
groups, timeline, money with discounts, where each coupon is)."""

# ruff: noqa: PT017 - whether a step may fail depends on the state drawn, so rules assert on the error they caught

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from groupbuy import clock
from groupbuy.catalog.models import Deal, UserDealPurchase
from groupbuy.coupons.enums import UserCouponStatus
from groupbuy.coupons.models import UserCoupon
from groupbuy.db import db
from groupbuy.errors import DomainError
from groupbuy.flows.closing import close_due_groups
from groupbuy.groups.models import Group
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus, RefundReason
from groupbuy.orders.models import Order, OrderLine, OrderRefund, OrderTimelineEvent
from groupbuy.orders.service import (
    CheckoutItem,
    cancel_order,
    confirm_receipt,
    expire_order,
    mark_order_paid,
    place_order,
    refund_lines,
    transition,
)
from groupbuy.orders.service.refund_plans import paid_for_units
from groupbuy.orders.states import LIVE_STATES
from groupbuy.payments import jobs as payment_jobs
from groupbuy.payments.enums import PaymentStatus, RefundState
from groupbuy.payments.models import Payment, Refund
from groupbuy.payments.providers import PaymentChannel
from groupbuy.payments.service import pay_in_sandbox, start_payment
from tests.conftest import _empty_tables
from tests.factories.coupons import Coupons
from tests.factories.market import T0, Shop

PAID_STATES = LIVE_STATES - {OrderStatus.PENDING_PAYMENT}
FULFIL = (OrderEvent.CONFIRM, OrderEvent.STOCK, OrderEvent.SHIP, OrderEvent.ARRIVE, OrderEvent.PICK_UP)


class OrderMachine(RuleBasedStateMachine):
    app: Flask

    @initialize()
    def build(self) -> None:
        self.now = T0
        self.shop = Shop(self.app)
        self.deals = [self.shop.deal(stock=6, limit_per_user=3), self.shop.deal(stock=4, limit_per_user=4)]
        self.users = [self.shop.shopper() for _ in range(3)]
        coupons = Coupons(self.app)
        amount = coupons.template(amount_off_fen=777, min_spend_fen=0, per_user_limit=5)
        percent = coupons.template(
            kind="percent_off", amount_off_fen=None, percent_off=13, max_discount_fen=900, min_spend_fen=0
        )
        # Each shopper's wallet: two amount-off coupons and a percent-off one with a cap.
        self.coupons = [[coupons.give(u, t, at=T0) for t in (amount, amount, percent)] for u in self.users]
        self.closed: set[int] = set()  # deals whose group failed (closed early, at a cutoff moved to now)
        self.ctx = self.app.app_context()
        self.ctx.push()

    def teardown(self) -> None:
        if hasattr(self, "ctx"):
            db.session.remove()
            self.ctx.pop()
            with self.app.app_context():
                _empty_tables()

    def _orders(self) -> list[Order]:
        db.session.expire_all()
        return list(db.session.scalars(select(Order).order_by(Order.id)))

    @rule(
        user=st.integers(0, 2),
        lines=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 4)), min_size=1, max_size=2),
        coupon=st.integers(-2, 2),
    )
    def checkout(self, user: int, lines: list[tuple[int, int]], coupon: int) -> None:
        """Apply coupon: with a coupon of the shopper's wallet (coupon >= 0), whatever state it is in."""
        items = [CheckoutItem(deal_id=self.deals[d], quantity=q) for d, q in lines]
        coupon_id = self.coupons[user][coupon] if coupon >= 0 else None
        held = coupon_id is not None and db.session.get_one(UserCoupon, coupon_id, populate_existing=True).status
        try:
            placed = place_order(
                user_id=self.users[user].id,
                items=items,
                from_cart=False,
                fulfilment=Fulfilment.PICKUP,
                address_id=None,
                leader_id=None,
                now=self.now,
                coupon_id=coupon_id,
            )
            assert held in {False, UserCouponStatus.AVAILABLE}
            assert placed.discount_fen == sum(line.discount_fen for line in placed.lines)
            assert placed.payable_fen == placed.items_fen - placed.discount_fen >= 0
        except DomainError as error:
            late = {"deal_closed", "group_closed"} if self.closed else set()
            taken = {"coupon_unavailable"} if held not in {False, UserCouponStatus.AVAILABLE} else set()
            assert error.code in {"deal_sold_out", "limit_exceeded", *late, *taken}, error.code

    @rule(pick=st.integers(0, 50))
    def pay(self, pick: int) -> None:
        """Through the payments service and the signed sandbox notification, as a shopper pays."""
        orders = self._orders()
        if orders:
            order = orders[pick % len(orders)]
            before = order.status
            try:
                view = start_payment(
                    user_id=order.user_id, order_id=order.id, channel=PaymentChannel.SANDBOX, now=self.now
                )
            except DomainError as error:
                assert before is not OrderStatus.PENDING_PAYMENT or order.pay_before <= self.now, error.code
                return
            assert view.code_url is not None
            pay_in_sandbox(token=view.code_url.rsplit("/", 1)[1], succeed=True, now=self.now)
            after = db.session.get_one(Order, order.id, populate_existing=True).status
            late = any(line.deal_id in self.closed for line in order.lines)
            assert after is (OrderStatus.PENDING_PAYMENT if late else OrderStatus.PAID)  # late money is refunded

    @rule(pick=st.integers(0, 50))
    def duplicate_notification(self, pick: int) -> None:
        paid = [o for o in self._orders() if o.status is OrderStatus.PAID]
        if paid:
            order = paid[pick % len(paid)]
            try:
                mark_order_paid(order_id=order.id, amount_fen=order.payable_fen, actor="provider", now=self.now)
                raise AssertionError("a paid order was paid twice")
            except DomainError as error:
                assert error.code == "illegal_transition"

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        orders = self._orders()
        if orders:
            order = orders[pick % len(orders)]
            before = order.status
            try:
                cancel_order(user_id=order.user_id, order_id=order.id, now=self.now)
                assert before in {OrderStatus.PENDING_PAYMENT, OrderStatus.PAID}
            except DomainError as error:
                if error.code == "cutoff_passed":
                    assert self.now >= self.shop.cutoff or any(line.deal_id in self.closed for line in order.lines)
                else:
                    assert before not in {OrderStatus.PENDING_PAYMENT, OrderStatus.PAID}, error.code

    @rule(minutes=st.integers(1, 20))
    def time_passes_and_unpaid_orders_expire(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        for order in self._orders():
            due = order.status is OrderStatus.PENDING_PAYMENT and order.pay_before <= self.now
            expired = expire_order(order_id=order.id, now=self.now)
            assert (expired is not None) == due

    @rule(pick=st.integers(0, 50), steps=st.integers(1, 5))
    def fulfil(self, pick: int, steps: int) -> None:
        active = [o for o in self._orders() if o.status in PAID_STATES - {OrderStatus.COMPLETED, OrderStatus.PICKED_UP}]
        if active:
            order = active[pick % len(active)]
            start = [
                OrderStatus.PAID,
                OrderStatus.CONFIRMED,
                OrderStatus.STOCKING,
                OrderStatus.SHIPPED,
                OrderStatus.READY_FOR_PICKUP,
            ].index(order.status)
            for event in FULFIL[start : start + steps]:
                transition(order_id=order.id, event=event, actor="leader", now=self.now)

    @rule(pick=st.integers(0, 50))
    def confirm(self, pick: int) -> None:
        orders = self._orders()
        if orders:
            order = orders[pick % len(orders)]
            before = order.status
            try:
                confirm_receipt(user_id=order.user_id, order_id=order.id, now=self.now)
                assert before is OrderStatus.PICKED_UP
            except DomainError as error:
                assert before is not OrderStatus.PICKED_UP, error.code

    @rule(deal=st.integers(0, 1))
    def group_fails(self, deal: int) -> None:
        """One deal's group fails at a cutoff moved to now: its paid lines refunded, other lines untouched."""
        deal_id = self.deals[deal]
        if deal_id in self.closed:
            return
        self.closed.add(deal_id)
        others = select(OrderLine.id, OrderLine.status, OrderLine.refunded_quantity).where(OrderLine.deal_id != deal_id)
        untouched = set(db.session.execute(others).all())
        self.shop.set_deal(deal_id, cutoff_at=self.now, min_group_quantity=99)
        close_due_groups(now=self.now, limit=3)  # small batches: several batches and the sweeps run
        db.session.expire_all()
        assert set(db.session.execute(others).all()) == untouched  # the other group's lines carry on
        for line in db.session.scalars(select(OrderLine).where(OrderLine.deal_id == deal_id)):
            order = db.session.get_one(Order, line.order_id)
            if order.paid_at is not None and order.status is not OrderStatus.COMPLETED:
                assert line.status is not LineStatus.ACTIVE, (order.status, line.status)

    @rule(pick=st.integers(0, 50), share=st.integers(1, 4))
    def partial_refund(self, pick: int, share: int) -> None:
        """A shortage refunds some units of one active line (never more than are left)."""
        lines = [
            (line, order)
            for order in self._orders()
            if order.paid_at is not None and order.status in PAID_STATES
            for line in order.lines
            if line.status is LineStatus.ACTIVE
        ]
        if lines:
            line, order = lines[pick % len(lines)]
            left = line.quantity - line.refunded_quantity
            quantity = max(1, left * share // 4)
            others = sum(o.quantity - o.refunded_quantity for o in order.lines) - quantity  # before the commit
            done = line.refunded_quantity  # before the commit too: the refund reloads the line
            outcome = refund_lines(
                order_id=order.id,
                lines=[(line.id, quantity)],
                reason=RefundReason.SHORTAGE,
                actor="leader",
                now=self.now,
            )
            # the units' share of what the line was paid (its value less its discount), from the units refunded before
            owed = paid_for_units(line, done + quantity) - paid_for_units(line, done)
            assert outcome.lines[0].amount_fen == owed
            assert outcome.amount_fen >= owed  # plus the delivery fee at the last unit
            assert outcome.whole_order == (others == 0)

    @rule()
    def refunds_are_sent(self) -> None:
        """The payments job: one provider refund per ledger row, money back, refunded orders finished."""
        payment_jobs.retry_refunds(self.now)
        db.session.expire_all()
        for ledger in db.session.scalars(select(OrderRefund)):
            sent = db.session.scalars(select(Refund).where(Refund.order_refund_id == ledger.id)).all()
            assert [r.amount_fen for r in sent] == [ledger.amount_fen]
            assert sent[0].status is RefundState.SUCCEEDED and ledger.refunded_at is not None
        for order in self._orders():
            if order.status is OrderStatus.REFUNDING:
                raise AssertionError(f"order {order.id} still refunding after its refunds were sent")

    @invariant()
    def stock_is_conserved_and_limits_hold(self) -> None:
        if not hasattr(self, "ctx"):
            return
        db.session.expire_all()
        lines = db.session.execute(
            select(
                OrderLine.deal_id,
                OrderLine.group_id,
                OrderLine.quantity - OrderLine.refunded_quantity,
                Order.user_id,
                Order.status,
            ).join(Order, Order.id == OrderLine.order_id)
        ).all()
        live = Counter()  # type: ignore[var-annotated]
        per_user = Counter()  # type: ignore[var-annotated]
        reserved, paid = Counter(), Counter()  # type: ignore[var-annotated]
        for deal_id, group_id, quantity, user_id, status in lines:
            if status in LIVE_STATES:
                live[deal_id] += quantity
                per_user[(user_id, deal_id)] += quantity
                reserved[group_id] += quantity
                if status in PAID_STATES:
                    paid[group_id] += quantity
        for deal_id in self.deals:
            deal = db.session.get_one(Deal, deal_id)
            assert deal.stock_available >= 0
            assert deal.stock_allocated == deal.stock_available + live[deal_id]
        for row in db.session.scalars(select(UserDealPurchase)):
            assert row.quantity == per_user[(row.user_id, row.deal_id)]
            assert row.quantity <= db.session.get_one(Deal, row.deal_id).limit_per_user
        for group in db.session.scalars(select(Group)):
            assert (group.units_reserved, group.units_paid) == (reserved[group.id], paid[group.id])

    @invariant()
    def money_adds_up(self) -> None:
        """Σ line refunds (+ delivery fees) = Σ order refunds = Σ ledger = Σ payment refunds sent so far ≤ paid."""
        if not hasattr(self, "ctx"):
            return
        db.session.expire_all()
        for order in self._orders():
            ledger = db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order.id)).all()
            fees = sum(r.delivery_fee_fen for r in ledger)
            assert sum(line.refunded_fen for line in order.lines) + fees == order.refund_due_fen
            assert sum(r.amount_fen for r in ledger) == order.refund_due_fen
            assert sum(sum(x.amount_fen for x in r.lines) for r in ledger) + fees == order.refund_due_fen
            assert order.refunded_fen == sum(r.amount_fen for r in ledger if r.refunded_at is not None)
            assert order.refunded_fen <= order.refund_due_fen <= order.paid_fen
            if order.paid_at is not None:
                assert order.payable_fen + order.refund_due_fen == order.paid_fen
                applied = db.session.scalars(
                    select(Payment).where(Payment.order_id == order.id, Payment.applied_to_order)
                ).one()
                sent = db.session.scalars(select(Refund).where(Refund.payment_id == applied.id)).all()
                assert sum(r.amount_fen for r in sent) == applied.refunded_fen <= applied.amount_fen
                assert {r.order_refund_id for r in sent} <= {r.id for r in ledger}
            else:
                assert (order.paid_fen, order.refund_due_fen) == (0, 0) and not ledger
            for line in order.lines:  # each refund comes out of what its line was paid (total less its discount)
                assert line.refunded_fen == paid_for_units(line, line.refunded_quantity)
            assert order.items_fen == sum(x.unit_price_fen * (x.quantity - x.refunded_quantity) for x in order.lines)
            assert order.discount_fen == sum(
                x.discount_fen - (x.unit_price_fen * x.refunded_quantity - x.refunded_fen) for x in order.lines
            )
        for payment in db.session.scalars(select(Payment).where(Payment.status == PaymentStatus.PAID)):
            assert payment.refunded_fen <= payment.amount_fen

    @invariant()
    def each_coupon_follows_its_order(self) -> None:
        """Locked by the one unpaid order holding it, used by the one paid order, else back in the wallet."""
        if not hasattr(self, "ctx"):
            return
        holders = {}
        for order in self._orders():
            if order.coupon_id is None:
                continue
            if order.paid_at is not None or order.status is OrderStatus.PENDING_PAYMENT:
                assert order.coupon_id not in holders  # one coupon, one order that has it
                holders[order.coupon_id] = order
        for coupon in db.session.scalars(select(UserCoupon)):
            order = holders.get(coupon.id)
            if order is None:
                assert (coupon.status, coupon.order_id) == (UserCouponStatus.AVAILABLE, None)
            elif order.paid_at is None:
                assert (coupon.status, coupon.order_id) == (UserCouponStatus.LOCKED, order.id)
            else:
                assert (coupon.status, coupon.order_id) == (UserCouponStatus.USED, order.id)

    @invariant()
    def one_timeline_row_per_transition(self) -> None:
        if not hasattr(self, "ctx"):
            return
        for order in self._orders():
            events = db.session.scalars(
                select(OrderTimelineEvent)
                .where(OrderTimelineEvent.order_id == order.id)
                .order_by(OrderTimelineEvent.id)
            ).all()
            assert events[0].event is OrderEvent.PLACE
            assert events[-1].to_status is order.status
            for before, after in itertools.pairwise(events):
                assert after.from_status is before.to_status


def test_order_state_machine(app: Flask) -> None:
    OrderMachine.app = app
    with clock.frozen(T0):
        run_state_machine_as_test(
            OrderMachine,
            settings=settings(
                max_examples=30,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
