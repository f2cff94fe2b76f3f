"""After-sale use cases: requests and the leader's answer, disputes and customer service's decision."""

from groupbuy.aftersales.service.disputes import (
    Case,
    QueueEntry,
    dispute_case,
    dispute_entry,
    dispute_queue,
    escalate_request,
    escalate_unanswered,
    resolve_dispute,
)
from groupbuy.aftersales.service.refunds import grant_refund, refundable_fen
from groupbuy.aftersales.service.requests import (
    accept_request,
    get_my_request,
    list_leader_requests,
    list_my_requests,
    open_request,
    reject_request,
)
from groupbuy.aftersales.service.sla import DisputeTerms, add_working_hours, dispute_terms
from groupbuy.aftersales.service.windows import order_protection_days_for, window_closes_at

__all__ = [
    "Case",
    "DisputeTerms",
    "QueueEntry",
    "accept_request",
    "add_working_hours",
    "dispute_case",
    "dispute_entry",
    "dispute_queue",
    "dispute_terms",
    "escalate_request",
    "escalate_unanswered",
    "get_my_request",
    "grant_refund",
    "list_leader_requests",
    "list_my_requests",
    "open_request",
    "order_protection_days_for",
    "refundable_fen",
    "reject_request",
    "resolve_dispute",
    "window_closes_at",
]
