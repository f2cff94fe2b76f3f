from enum import StrEnum


class CouponKind(StrEnum):
    AMOUNT_OFF = "amount_off"  # amount_off_fen off the lines in scope
    PERCENT_OFF = "percent_off"  # percent_off % of the lines in scope, at most max_discount_fen


class CouponScope(StrEnum):
    ALL = "all"  # every deal
    CATEGORY = "category"  # deals of one category (category_id)
    DEAL = "deal"  # one deal (deal_id)
    NEW_LEADER = "new_leader"  # the shopper's first order with the order's leader (新人券, seed 000)


class UserCouponStatus(StrEnum):
    """A claimed coupon's stored state; `expired` is shown for an available one past its window (never stored)."""

    AVAILABLE = "available"
    LOCKED = "locked"  # held by an unpaid order (order_id)
    USED = "used"  # the order was paid


class WalletStatus(StrEnum):
    AVAILABLE = "available"
    LOCKED = "locked"
    USED = "used"
    EXPIRED = "expired"
