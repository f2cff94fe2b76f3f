"""Payment, refund and notification states."""

from enum import StrEnum


class PaymentStatus(StrEnum):
    PENDING = "pending"  # placed with the provider (or about to be); may still be paid
    PAID = "paid"  # the provider confirmed the money (the order may or may not have been paid by it)
    FAILED = "failed"  # the provider reported the attempt failed
    CLOSED = "closed"  # we closed it (order expired, cancelled or paid another way)
    FLAGGED = "flagged"  # money arrived that does not match: customer service decides


class RefundState(StrEnum):
    """Our refund row's state (``Refund.status``); what a provider answers is providers.ProviderRefundStatus."""

    PENDING = "pending"  # requested, not yet accepted by the provider (retried with back-off)
    PROCESSING = "processing"  # accepted by the provider, result not known yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused or stuck: shown to customer service, still retried
    CLOSED = "closed"  # closed by the provider for good; a successor refund with a new number took over


class RefundSource(StrEnum):
    CANCELLATION = "cancellation"  # the order went to refunding (cancelled or failed group): refund_due_fen
    GROUP_FAILED = "group_failed"
    SHORTAGE = "shortage"
    AFTER_SALE = "after_sale"
    LATE_PAYMENT = "late_payment"  # money for an order that was no longer payable
    CUSTOMER_SERVICE = "customer_service"


class CallbackOutcome(StrEnum):
    RECEIVED = "received"  # stored, not yet verified
    REJECTED = "rejected"  # failed verification or decoding
    UNKNOWN_TRADE = "unknown_trade"
    DUPLICATE = "duplicate"  # same provider event id seen before
    APPLIED = "applied"  # changed something
    NO_CHANGE = "no_change"  # genuine, nothing left to do
    FLAGGED = "flagged"
    LATE_PAYMENT = "late_payment"
    IGNORED = "ignored"
