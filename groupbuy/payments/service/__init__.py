"""Payment use cases: links and QR codes, provider callbacks, refunds, reconciliation, the sandbox checkout."""

from groupbuy.payments.service.callbacks import apply_event, handle_callback
from groupbuy.payments.service.checkout import (
    PaymentView,
    get_payment_for_user,
    payment_code_url_for_user,
    start_payment,
)
from groupbuy.payments.service.due_refunds import list_refunds, process_due_refunds, refunds_due_for_retry
from groupbuy.payments.service.reconciliation import payments_to_reconcile, reconcile_payment
from groupbuy.payments.service.refunds import backoff, refund, request_refund, submit_refund
from groupbuy.payments.service.retention import prune_callbacks
from groupbuy.payments.service.sandbox import SandboxCheckoutView, pay_in_sandbox, sandbox_checkout

__all__ = [
    "PaymentView",
    "SandboxCheckoutView",
    "apply_event",
    "backoff",
    "get_payment_for_user",
    "handle_callback",
    "list_refunds",
    "pay_in_sandbox",
    "payment_code_url_for_user",
    "payments_to_reconcile",
    "process_due_refunds",
    "prune_callbacks",
    "reconcile_payment",
    "refund",
    "refunds_due_for_retry",
    "request_refund",
    "sandbox_checkout",
    "start_payment",
    "submit_refund",
]
