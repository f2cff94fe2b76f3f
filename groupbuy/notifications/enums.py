"""Message transports and outbox states; the kinds of in-app notification."""

from enum import StrEnum


class Transport(StrEnum):
    """How an outbound message travels (the outbox column is still named "channel")."""

    SMS = "sms"
    EMAIL = "email"
    MINIAPP = "miniapp"  # WeChat mini-app subscribe message


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanent error, or retries used up; not retried


class NotificationKind(StrEnum):
    ORDER_PAID = "order_paid"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_EXPIRED = "order_expired"
    ORDER_CONFIRMED = "order_confirmed"  # the leader confirmed it and is stocking for the pickup date
    GROUP_SUCCEEDED = "group_succeeded"
    GROUP_FAILED = "group_failed"
    GROUP_PARTLY_SUCCEEDED = "group_partly_succeeded"  # some lines go ahead, others refunded
    GOODS_ARRIVED = "goods_arrived"
    GOODS_ARRIVED_FOR_DELIVERY = "goods_arrived_for_delivery"
    ORDER_SHORTAGE = "order_shortage"  # fewer units arrived than were ordered: those units refunded
    ORDER_OUT_FOR_DELIVERY = "order_out_for_delivery"
    ORDER_DELIVERED = "order_delivered"
    PICKUP_REMINDER = "pickup_reminder"  # goods waiting unclaimed at the pickup point
    REFUND_DONE = "refund_done"
    LEADER_STOCK_LIST = "leader_stock_list"
    LEADER_DISPATCH = "leader_dispatch"  # goods on their way to the pickup point
    LEADER_GROUP_FAILED = "leader_group_failed"
    LEADER_AFTERSALE_REQUESTED = "leader_aftersale_requested"
    AFTERSALE_ANSWERED = "aftersale_answered"  # the leader accepted or rejected my request, or CS took it over
    DISPUTE_RESOLVED = "dispute_resolved"  # customer service decided my dispute
    NEW_MESSAGE = "new_message"  # a message in one of my conversations (at most one notice per few minutes)
