"""The leader's desk moves orders: confirm (and tell each shopper) or mark stocking, one order or many.

A batch answers per order: each order moves in its own transaction, so one refusal (not paid, group not
succeeded, someone else's order) leaves the others moved and says why for that order alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from groupbuy.db import transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.i18n import localized, title_for
from groupbuy.notifications.enums import NotificationKind
from groupbuy.notifications.service import notify_order_events
from groupbuy.orders.enums import OrderEvent, OrderStatus
from groupbuy.orders.models import Order
from groupbuy.orders.service import confirm_order, leader_id_of, stock_order
from groupbuy.orders.service.notices import facts_of


@dataclass(frozen=True)
class DeskOutcome:
    """What happened to one order of a batch: moved (with its new status), or refused with a code."""

    order_id: int
    ok: bool
    status: OrderStatus | None = None
    code: str | None = None
    title: str | None = None


def _confirm(*, leader_id: int, order_id: int, actor: str, now: datetime) -> Order:
    with transaction():
        order = confirm_order(leader_id=leader_id, order_id=order_id, actor=actor, now=now)
        notify_order_events(
            facts=[facts_of(order)], kind=NotificationKind.ORDER_CONFIRMED, event=OrderEvent.CONFIRM.value, now=now
        )
        return order


def confirm_leader_order(*, user_id: int, order_id: int, now: datetime) -> Order:
    """My paid order of a succeeded group → confirmed, its shopper told; 404 if not mine, 409 otherwise."""
    return _confirm(leader_id=leader_id_of(user_id=user_id), order_id=order_id, actor=f"leader:{user_id}", now=now)


def stock_leader_order(*, user_id: int, order_id: int, now: datetime) -> Order:
    """My confirmed order → stocking; 404 if not mine, 409 from any other state."""
    return stock_order(leader_id=leader_id_of(user_id=user_id), order_id=order_id, actor=f"leader:{user_id}", now=now)


def confirm_leader_orders(*, user_id: int, order_ids: Sequence[int], now: datetime) -> list[DeskOutcome]:
    """Confirm many of my orders; each answers for itself."""
    return _each(_confirm, user_id=user_id, order_ids=order_ids, now=now)


def stock_leader_orders(*, user_id: int, order_ids: Sequence[int], now: datetime) -> list[DeskOutcome]:
    """Mark many of my confirmed orders stocking; each answers for itself."""
    return _each(stock_order, user_id=user_id, order_ids=order_ids, now=now)


def _each(move: Callable[..., Order], *, user_id: int, order_ids: Sequence[int], now: datetime) -> list[DeskOutcome]:
    leader_id = leader_id_of(user_id=user_id)
    outcomes = []
    for order_id in dict.fromkeys(order_ids):  # once each, in the order given
        try:
            order = move(leader_id=leader_id, order_id=order_id, actor=f"leader:{user_id}", now=now)
        except (NotFound, Conflict) as refusal:
            title = localized(refusal.detail) if refusal.detail else title_for(refusal.code, refusal.status)
            outcomes.append(DeskOutcome(order_id=order_id, ok=False, code=refusal.code, title=title))
        else:
            outcomes.append(DeskOutcome(order_id=order_id, ok=True, status=OrderStatus(order.status)))
    return outcomes
