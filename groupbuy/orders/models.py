"""Orders, their lines (price snapshots), timeline, and per-user purchase counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupbuy.accounts.enums import Tier
from groupbuy.db import ID, Base, enum_column
from groupbuy.orders.enums import Fulfilment, LineStatus, OrderEvent, OrderStatus, PriceKind, RefundReason


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(24), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="RESTRICT"))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, "order_status"))
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment, "order_fulfilment"))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # snapshot for home delivery
    items_fen: Mapped[int] = mapped_column(BigInteger)
    delivery_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # The coupon this order holds (locked while unpaid, used once paid); its discount is spread over the lines.
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("user_coupons.id", ondelete="RESTRICT"))
    payable_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Σ of the order's refunds (order_refunds): what payments owes back. Each refund also takes its amount off
    # items/delivery/discount, so for a paid order payable_fen + refund_due_fen == paid_fen at all times.
    refund_due_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    pickup_date: Mapped[date] = mapped_column(Date)
    pickup_code: Mapped[str | None] = mapped_column(String(8))
    pay_before: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Goods left at the pickup point: the shopper was reminded, then the order was flagged for CS (jobs).
    unclaimed_reminded_at: Mapped[datetime | None]
    unclaimed_flagged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", lazy="selectin", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderTimelineEvent]] = relationship(
        back_populates="order", lazy="selectin", order_by="OrderTimelineEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("leader_id", "pickup_date", "pickup_code", name="uq_orders_leader_pickup_code"),
        Index("ix_orders_user_status_created", "user_id", "status", "created_at"),
        Index("ix_orders_leader_pickup", "leader_id", "pickup_date", "status"),
        Index("ix_orders_status_pay_before", "status", "pay_before"),
        CheckConstraint("items_fen >= 0 AND delivery_fee_fen >= 0 AND discount_fen >= 0", name="amounts_nonnegative"),
        CheckConstraint(
            "payable_fen = items_fen + delivery_fee_fen - discount_fen AND payable_fen >= 0", name="payable_is_sum"
        ),
        CheckConstraint("paid_fen >= 0 AND refunded_fen >= 0 AND refunded_fen <= paid_fen", name="refunds_within_paid"),
        CheckConstraint("refund_due_fen >= 0 AND refund_due_fen <= paid_fen", name="refund_due_within_paid"),
    )


class OrderLine(Base):
    """A price snapshot: what was bought at what price, whatever the deal says later."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="RESTRICT"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="RESTRICT"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str] = mapped_column(String(100))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_fen: Mapped[int] = mapped_column(BigInteger)
    # This line's share of the order's coupon discount (largest remainder: Σ lines = the order's discount at
    # checkout); what the line was paid is line_total_fen - discount_fen, and its refunds come out of that.
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    pickup_date: Mapped[date] = mapped_column(Date)
    status: Mapped[LineStatus] = mapped_column(enum_column(LineStatus, "order_line_status"), default=LineStatus.ACTIVE)
    refund_reason: Mapped[RefundReason | None] = mapped_column(enum_column(RefundReason, "order_line_refund_reason"))
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # refunds granted for it (units and amounts)
    # Of refunded_fen, what was given for goods kept (an after-sale amount, no unit back) and not yet taken into a
    # later refund of the units themselves (line_refunds: such a refund pays its units' price less this).
    kept_refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Which price unit_price_fen is: the group price, or the member price of price_tier (snapshot at checkout).
    price_kind: Mapped[PriceKind] = mapped_column(
        enum_column(PriceKind, "order_line_price_kind"), default=PriceKind.GROUP
    )
    price_tier: Mapped[Tier | None] = mapped_column(enum_column(Tier, "order_line_price_tier"))

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (
        Index("ix_order_lines_deal_id", "deal_id"),
        CheckConstraint("quantity >= 1 AND quantity <= 99", name="quantity_range"),
        CheckConstraint("unit_price_fen > 0 AND line_total_fen = unit_price_fen * quantity", name="line_total"),
        CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refunded_quantity_range"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= line_total_fen", name="refunded_within_total"),
        CheckConstraint("kept_refund_fen >= 0 AND kept_refund_fen <= refunded_fen", name="kept_within_refunded"),
        CheckConstraint("discount_fen >= 0 AND discount_fen <= line_total_fen", name="discount_within_total"),
        CheckConstraint("(status = 'active') = (refunded_quantity < quantity)", name="active_while_units_remain"),
    )


class OrderRefund(Base):
    """One refund of an order: the units of its lines (order_refund_lines) and the money for them.

    Written by orders.refund_lines, the only place that prices refunded units; payments sends one provider refund
    per row (its ``order_refund_id``) and reports back when the money has arrived (``refunded_at``).
    """

    __tablename__ = "order_refunds"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    reason: Mapped[RefundReason] = mapped_column(enum_column(RefundReason, "order_refund_reason"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # lines' share plus delivery_fee_fen
    delivery_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    actor: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    refunded_at: Mapped[datetime | None]  # the provider confirmed the money is back

    lines: Mapped[list[OrderRefundLine]] = relationship(
        back_populates="refund", lazy="selectin", order_by="OrderRefundLine.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # amount 0: units whose price an earlier amount for kept goods already paid (settled at once, nothing owed)
        CheckConstraint("amount_fen >= 0 AND delivery_fee_fen >= 0 AND delivery_fee_fen <= amount_fen", name="amounts"),
        Index("ix_order_refunds_unrefunded", "refunded_at", "id"),
    )


class OrderRefundLine(Base):
    """Units of one line in one refund, and the fen they were refunded at."""

    __tablename__ = "order_refund_lines"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_refund_id: Mapped[int] = mapped_column(ForeignKey("order_refunds.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    refund: Mapped[OrderRefund] = relationship(back_populates="lines")

    # quantity 0: an amount for goods kept (an after-sale refund without return)
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND amount_fen >= 0 AND quantity + amount_fen > 0", name="positive"),
    )


class OrderTimelineEvent(Base):
    """One row per transition: state, actor, time, note."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    event: Mapped[OrderEvent] = mapped_column(enum_column(OrderEvent, "order_event"))
    from_status: Mapped[OrderStatus | None] = mapped_column(enum_column(OrderStatus, "order_event_from"))
    to_status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, "order_event_to"))
    actor: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime]

    order: Mapped[Order] = relationship(back_populates="events")


class Arrival(Base):
    """A leader's goods for one pickup date arrived: recorded once (a repeat is refused, never refunds twice)."""

    __tablename__ = "arrivals"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="RESTRICT"))
    pickup_date: Mapped[date] = mapped_column(Date)
    orders_ready: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("leader_id", "pickup_date", name="uq_arrivals_leader_pickup_date"),)


class ArrivalShortage(Base):
    """Fewer units of a deal arrived than were shipped: what was short and what was refunded (CS, the supplier)."""

    __tablename__ = "arrival_shortages"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    arrival_id: Mapped[int] = mapped_column(ForeignKey("arrivals.id", ondelete="CASCADE"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="RESTRICT"))
    pickup_date: Mapped[date] = mapped_column(Date)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="RESTRICT"), index=True)
    ordered_quantity: Mapped[int] = mapped_column(Integer)
    received_quantity: Mapped[int] = mapped_column(Integer)
    refunded_quantity: Mapped[int] = mapped_column(Integer)
    refunded_fen: Mapped[int] = mapped_column(BigInteger)  # for the goods; a delivery fee refunded with it is not
    orders_affected: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("arrival_id", "deal_id", name="uq_arrival_shortages_arrival_deal"),
        Index("ix_arrival_shortages_leader_pickup", "leader_id", "pickup_date"),
        CheckConstraint("received_quantity >= 0 AND received_quantity < ordered_quantity", name="short"),
        CheckConstraint("refunded_quantity = ordered_quantity - received_quantity", name="refunded_is_short"),
        CheckConstraint("refunded_fen >= 0 AND orders_affected >= 1", name="refund_recorded"),
    )


class PickupCodeFailures(Base):
    """Wrong pickup codes a leader entered in the current window: the per-leader throttle (one row per leader)."""

    __tablename__ = "pickup_code_failures"

    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="CASCADE"), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("failures >= 0", name="failures_nonnegative"),)


class LeaderDeduction(Base):
    """Money taken off a leader's earnings: a refund customer service found the leader responsible for.

    Written by the after-sale disputes (through orders.service.record_leader_deduction), once per ``source``;
    the earnings report and its statements show them on the day they were decided (Asia/Shanghai).
    """

    __tablename__ = "leader_deductions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id", ondelete="RESTRICT"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. dispute:12 (written once)
    note: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_leader_deductions_leader_created", "leader_id", "created_at"),
    )
