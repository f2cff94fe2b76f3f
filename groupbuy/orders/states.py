"""The order state machine as data (PRODUCT.md "The order's life").

TRANSITIONS[event] maps each state the event may start from to the state it leads to.
Anything not listed is an illegal transition (409, nothing changes).
"""

from __future__ import annotations

from types import MappingProxyType

from groupbuy.orders.enums import OrderEvent as E
from groupbuy.orders.enums import OrderStatus as S

# States in which the shopper has paid and some goods are still owed or held: lines may be refunded here.
_HOLDING_GOODS = (
    S.PAID,
    S.CONFIRMED,
    S.STOCKING,
    S.SHIPPED,
    S.READY_FOR_PICKUP,
    S.OUT_FOR_DELIVERY,
    S.PICKED_UP,
    S.DELIVERED,
    S.COMPLETED,
)

TRANSITIONS = MappingProxyType(
    {
        E.PAY: {S.PENDING_PAYMENT: S.PAID},
        E.EXPIRE: {S.PENDING_PAYMENT: S.CANCELLED},
        E.CANCEL: {S.PENDING_PAYMENT: S.CANCELLED, S.PAID: S.REFUNDING},
        E.GROUP_FAIL: {S.PENDING_PAYMENT: S.CANCELLED, S.PAID: S.REFUNDING},
        E.CONFIRM: {S.PAID: S.CONFIRMED},
        E.STOCK: {S.CONFIRMED: S.STOCKING},
        # Dispatch ships what the leader confirmed, stocked or not yet.
        E.SHIP: {S.CONFIRMED: S.SHIPPED, S.STOCKING: S.SHIPPED},
        # Arrival at the leader's point, whatever the fulfilment; home delivery then goes out from there.
        E.ARRIVE: {S.SHIPPED: S.READY_FOR_PICKUP},
        E.PICK_UP: {S.READY_FOR_PICKUP: S.PICKED_UP},
        E.OUT_FOR_DELIVERY: {S.READY_FOR_PICKUP: S.OUT_FOR_DELIVERY},
        E.DELIVER: {S.OUT_FOR_DELIVERY: S.DELIVERED},
        E.CONFIRM_RECEIPT: {S.PICKED_UP: S.COMPLETED, S.DELIVERED: S.COMPLETED},
        E.REFUND_DONE: {S.REFUNDING: S.REFUNDED},
        # Some lines refunded, others still active: the order stays where it is (a timeline row, no move).
        E.LINE_REFUND: {s: s for s in _HOLDING_GOODS},
        # The last active line refunded for a reason other than cancellation or a failed group.
        E.REFUND: dict.fromkeys(_HOLDING_GOODS, S.REFUNDING),
    }
)

# States whose units still count against stock, limits and the group.
LIVE_STATES = frozenset(set(S) - {S.CANCELLED, S.REFUNDING, S.REFUNDED})
# States in which the order holds a pickup code that may be presented.
OPEN_STATES = frozenset(LIVE_STATES - {S.COMPLETED})
TERMINAL_STATES = frozenset({S.COMPLETED, S.REFUNDED, S.CANCELLED})
# The leader has confirmed the order: the shopper can no longer cancel it (after-sale instead).
CONFIRMED_STATES = frozenset(
    {S.CONFIRMED, S.STOCKING, S.SHIPPED, S.READY_FOR_PICKUP, S.PICKED_UP, S.DELIVERED, S.COMPLETED}
)
# Paid orders whose goods the leader hands out (or has handed out): the pick list of a pickup date.
PICK_LIST_STATES = frozenset(LIVE_STATES - {S.PENDING_PAYMENT})


def next_status(event: E, current: S) -> S | None:
    """Where ``event`` leads from ``current``, or None if it is illegal there."""
    return TRANSITIONS[event].get(current)
