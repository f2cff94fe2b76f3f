"""Notification use cases: in-app notices, the outbound outbox, the WeChat token."""

from groupbuy.notifications.service.inbox import (
    Notice,
    NotificationPage,
    list_notifications,
    mark_all_notifications_read,
    mark_notification_read,
    notify,
)
from groupbuy.notifications.service.order_events import (
    ClosedGroup,
    LineOutcome,
    OrderFacts,
    notify_groups_closed,
    notify_leader_aftersale_requested,
    notify_order_events,
    notify_orders_settled,
)
from groupbuy.notifications.service.outbox import (
    DeliveryCounts,
    claim_due_messages,
    deliver_due_messages,
    deliver_message,
    enqueue_message,
    sender_for,
)
from groupbuy.notifications.service.wechat_token import cached_access_token, refresh_wechat_token

__all__ = [
    "ClosedGroup",
    "DeliveryCounts",
    "LineOutcome",
    "Notice",
    "NotificationPage",
    "OrderFacts",
    "cached_access_token",
    "claim_due_messages",
    "deliver_due_messages",
    "deliver_message",
    "enqueue_message",
    "list_notifications",
    "mark_all_notifications_read",
    "mark_notification_read",
    "notify",
    "notify_groups_closed",
    "notify_leader_aftersale_requested",
    "notify_order_events",
    "notify_orders_settled",
    "refresh_wechat_token",
    "sender_for",
]
