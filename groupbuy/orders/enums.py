from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CONFIRMED = "confirmed"
    STOCKING = "stocking"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"  # at the leader's point (home delivery: waiting to go out)
    OUT_FOR_DELIVERY = "out_for_delivery"  # home delivery: on its way to the shopper's door
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class OrderEvent(StrEnum):
    PLACE = "place"
    PAY = "pay"
    EXPIRE = "expire"
    CANCEL = "cancel"
    GROUP_FAIL = "group_fail"
    CONFIRM = "confirm"
    STOCK = "stock"
    SHIP = "ship"
    ARRIVE = "arrive"
    PICK_UP = "pick_up"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVER = "deliver"
    CONFIRM_RECEIPT = "confirm_receipt"
    REFUND_DONE = "refund_done"
    LINE_REFUND = "line_refund"  # some lines refunded; the order carries on in the same state
    REFUND = "refund"  # the last active line refunded (shortage, after-sale): the whole order is refunding


class Fulfilment(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"


class LineStatus(StrEnum):
    """A line's own outcome: active while any unit is still to be delivered; refunding once every unit is
    refunded and the money is on its way; refunded once it has arrived."""

    ACTIVE = "active"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class RefundReason(StrEnum):
    """Why units of a line were refunded."""

    GROUP_FAILED = "group_failed"
    GROUP_CANCELLED = "group_cancelled"
    SHORTAGE = "shortage"
    AFTER_SALE = "after_sale"
    ORDER_CANCELLED = "order_cancelled"


class PaymentOutcome(StrEnum):
    """What an order did with a verified payment of its amount (read by payments instead of error codes)."""

    PAID = "paid"
    TOO_LATE = "too_late"  # the order, or a group of its lines, can no longer take money: it goes back
    REFUSED = "refused"  # the order will not take this money (amount, pickup codes): customer service decides


class PriceKind(StrEnum):
    """Which price a line was bought at: the deal's group price, or a member price of the shopper's tier."""

    GROUP = "group"
    MEMBER = "member"
