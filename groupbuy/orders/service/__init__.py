"""Order use cases."""

from groupbuy.orders.service.arrival import Receipt, receive_goods
from groupbuy.orders.service.bulk import drain, move_orders, release_units
from groupbuy.orders.service.checkout import CheckoutItem, PlacedOrder, place_order
from groupbuy.orders.service.desk import (
    LeaderOrderView,
    confirm_order,
    leader_id_of,
    list_leader_orders,
    stock_order,
)
from groupbuy.orders.service.earnings import EarningsReport, commission_fen, leader_earnings, record_leader_deduction
from groupbuy.orders.service.handover import mark_delivered, send_out_for_delivery, verify_pickup_code
from groupbuy.orders.service.lifecycle import (
    PaymentAnswer,
    apply_payment,
    cancel_order,
    confirm_receipt,
    expire_order,
    mark_order_paid,
    transition,
)
from groupbuy.orders.service.line_refunds import OrderRefundOutcome, lock_refundable_order, refund_lines
from groupbuy.orders.service.pick_list import PickList, pick_list
from groupbuy.orders.service.pick_list_sql import RenderedPickList, rendered_pick_list
from groupbuy.orders.service.queries import (
    get_order_for_user,
    list_orders_for_user,
    list_unclaimed_orders,
    pickup_code_for_user,
)
from groupbuy.orders.service.refund_plans import LineRefundable, price_units, refundable_lines
from groupbuy.orders.service.refunds import finish_refunding_order, record_order_refund
from groupbuy.orders.service.shipping import (
    Shipment,
    due_dispatches,
    flag_unclaimed_batch,
    mark_unclaimed_reminded_batch,
    ship_orders,
)
from groupbuy.orders.service.sweeps import auto_confirm_receipts, expire_due_orders
from groupbuy.orders.service.tracking import Tracking, order_tracking

__all__ = [
    "CheckoutItem",
    "EarningsReport",
    "LeaderOrderView",
    "LineRefundable",
    "OrderRefundOutcome",
    "PaymentAnswer",
    "PickList",
    "PlacedOrder",
    "Receipt",
    "RenderedPickList",
    "Shipment",
    "Tracking",
    "apply_payment",
    "auto_confirm_receipts",
    "cancel_order",
    "commission_fen",
    "confirm_order",
    "confirm_receipt",
    "drain",
    "due_dispatches",
    "expire_due_orders",
    "expire_order",
    "finish_refunding_order",
    "flag_unclaimed_batch",
    "get_order_for_user",
    "leader_earnings",
    "leader_id_of",
    "list_leader_orders",
    "list_orders_for_user",
    "list_unclaimed_orders",
    "lock_refundable_order",
    "mark_delivered",
    "mark_order_paid",
    "mark_unclaimed_reminded_batch",
    "move_orders",
    "order_tracking",
    "pick_list",
    "pickup_code_for_user",
    "place_order",
    "price_units",
    "receive_goods",
    "record_leader_deduction",
    "record_order_refund",
    "refund_lines",
    "refundable_lines",
    "release_units",
    "rendered_pick_list",
    "send_out_for_delivery",
    "ship_orders",
    "stock_order",
    "transition",
    "verify_pickup_code",
]
