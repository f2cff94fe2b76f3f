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
    GROUP_SUCCEEDED = "group_succeeded"
    GROUP_FAILED = "group_failed"
    GROUP_PARTLY_SUCCEEDED = "group_partly_succeeded"  # some lines go ahead, others refunded
    GOODS_ARRIVED = "goods_arrived"
    REFUND_DONE = "refund_done"
    LEADER_STOCK_LIST = "leader_stock_list"
    LEADER_GROUP_FAILED = "leader_group_failed"
    LEADER_AFTERSALE_REQUESTED = "leader_aftersale_requested"
