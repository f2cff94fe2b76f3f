"""Dispatch: a leader's confirmed and stocking orders for a pickup date are shipped, and the leader is told."""

from __future__ import annotations

from datetime import date, datetime

from groupbuy.db import transaction
from groupbuy.notifications.enums import NotificationKind
from groupbuy.notifications.service import Notice, notify
from groupbuy.orders import service as orders
from groupbuy.orders.service import Shipment


def dispatch_orders(*, leader_id: int, pickup_date: date, actor: str, now: datetime) -> Shipment:
    """Ship the leader's confirmed/stocking orders for ``pickup_date`` and tell the leader what is coming
    (one notice per shipment; a repeat ships and tells nothing)."""
    with transaction():
        shipment = orders.ship_orders(leader_id=leader_id, pickup_date=pickup_date, actor=actor, now=now)
        if shipment.order_ids:
            notify(notices=[_leader_notice(shipment)], now=now)
        return shipment


def _leader_notice(shipment: Shipment) -> Notice:
    parts = [f"「{u.product_name}」{u.spec} ×{u.quantity}" for u in shipment.units]
    summary = "；".join(parts)
    if len(summary) > 300:
        summary = summary[:300] + f" 等 {len(parts)} 种商品"
    return Notice(
        user_id=shipment.leader_user_id,
        kind=NotificationKind.LEADER_DISPATCH,
        # One per shipment: its first order names it (a later shipment for the same date has other orders).
        dedupe_key=f"dispatch:{shipment.leader_id}:{shipment.pickup_date.isoformat()}:{shipment.order_ids[0]}",
        fields={
            "pickup_date": shipment.pickup_date.isoformat(),
            "orders": len(shipment.order_ids),
            "units": shipment.total_units,
            "summary": summary,
        },
    )
