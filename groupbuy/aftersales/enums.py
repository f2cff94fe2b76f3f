"""After-sale requests and disputes: their kinds, reasons and states."""

from enum import StrEnum


class AfterSaleType(StrEnum):
    REFUND_ONLY = "refund_only"  # 仅退款: money back, goods kept (or units never received)
    RETURN_REFUND = "return_refund"  # 退货退款: the units go back to the leader


class AfterSaleReason(StrEnum):
    QUALITY = "quality"  # the only reason order protection covers
    MISSING = "missing"
    WRONG_ITEM = "wrong_item"
    DAMAGED = "damaged"
    EXPIRED = "expired"
    OTHER = "other"


class AfterSaleStatus(StrEnum):
    PENDING = "pending"  # waiting for the leader (answer_due_at)
    ACCEPTED = "accepted"  # the leader accepted: refunded
    REJECTED = "rejected"  # the leader refused with a reason: the shopper may escalate
    ESCALATED = "escalated"  # a dispute with customer service (by the shopper, or by the job when unanswered)
    RESOLVED = "resolved"  # customer service decided the dispute


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class EscalatedBy(StrEnum):
    SHOPPER = "shopper"  # after the leader's rejection
    TIMEOUT = "timeout"  # the leader did not answer in time (escalate_unanswered_after_sales)


class Decision(StrEnum):
    REFUND = "refund"
    NO_REFUND = "no_refund"


class Responsibility(StrEnum):
    LEADER = "leader"  # the refund is deducted from the leader's earnings
    PLATFORM = "platform"
    SUPPLIER = "supplier"
