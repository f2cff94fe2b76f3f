from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CONFIRMED = "confirmed"
    STOCKING = "stocking"
    SHIPPED = "shipped"
    READY_FOR_PICKUP = "ready_for_pickup"
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
    DELIVER = "deliver"
    CONFIRM_RECEIPT = "confirm_receipt"
    REFUND_DONE = "refund_done"


class Fulfilment(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"
