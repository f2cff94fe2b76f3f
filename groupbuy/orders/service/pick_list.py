"""The pick list of a pickup date: units per deal, then each order with its shopper (masked) and pickup code.

Only the active units of paid, live orders count (PICK_LIST_STATES; a line's refunded units are left out),
so the totals equal the units still to be handed out. Built from three Core queries (per deal summed by the
database, then the orders' lines as bare ids and units, then the orders) into plain dicts; an order's lines
name their deal by id, and the deals carry the names once (bench/pick_list.py: 5,000 orders).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, func, select, type_coerce

from groupbuy.accounts.models import User
from groupbuy.common.fields import mask_name, mask_phone
from groupbuy.db import fetch_rows
from groupbuy.leaders.service import get_active_leader
from groupbuy.orders.enums import Fulfilment, LineStatus
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.states import PICK_LIST_STATES

_PICKING = sorted(PICK_LIST_STATES)
DELIVERY = Fulfilment.DELIVERY.value


@dataclass(frozen=True)
class PickList:
    pickup_date: date
    pickup_point_name: str
    total_units: int
    total_orders: int
    deals: list[dict[str, Any]]  # {deal_id, product_name, spec, units, orders}
    # {order_id, order_no, pickup_code, status, fulfilment, name, phone, units, lines: [{deal_id, quantity}]}
    shoppers: list[dict[str, Any]]

    def deal_names(self) -> dict[int, str]:
        """Each deal's product name and spec, for the lines of the printed and CSV forms."""
        return {d["deal_id"]: f"{d['product_name']} {d['spec']}" for d in self.deals}

    def as_dict(self) -> dict[str, Any]:
        return {
            "pickup_date": self.pickup_date.isoformat(),
            "pickup_point_name": self.pickup_point_name,
            "total_units": self.total_units,
            "total_orders": self.total_orders,
            "deals": self.deals,
            "shoppers": self.shoppers,
        }


def _orders_query(leader_id: int, pickup_date: date) -> Any:
    return (
        select(
            Order.id,
            Order.order_no,
            Order.pickup_code,
            type_coerce(Order.status, String),  # the plain value: no enum object per row
            type_coerce(Order.fulfilment, String),
            Order.address,
            User.nickname,
            User.phone,
        )
        .join(User, User.id == Order.user_id)
        .where(Order.leader_id == leader_id, Order.pickup_date == pickup_date, Order.status.in_(_PICKING))
        .order_by(Order.pickup_code, Order.id)  # printed, the leader finds a shopper's code by its digits
    )


def _picked_lines(leader_id: int, pickup_date: date) -> Any:
    return (
        select(OrderLine.order_id, OrderLine.deal_id, (OrderLine.quantity - OrderLine.refunded_quantity).label("units"))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.leader_id == leader_id,
            Order.pickup_date == pickup_date,
            Order.status.in_(_PICKING),
            OrderLine.status == LineStatus.ACTIVE,
        )
    )


def _deals_query(lines: Any) -> Any:
    """Units and orders per deal, summed by the database (names from the lines' snapshots)."""
    picked = lines.add_columns(OrderLine.product_name, OrderLine.spec).subquery()
    return (
        select(
            picked.c.deal_id,
            func.min(picked.c.product_name),
            func.min(picked.c.spec),
            func.sum(picked.c.units),
            func.count(func.distinct(picked.c.order_id)),
        )
        .group_by(picked.c.deal_id)
        .order_by(func.min(picked.c.product_name), picked.c.deal_id)
    )


def pick_list(*, user_id: int, pickup_date: date) -> PickList:
    """My pick list for one pickup date (403 unless an active leader; only my own orders)."""
    leader = get_active_leader(user_id=user_id)
    lines = _picked_lines(leader.id, pickup_date)
    deals = [
        {"deal_id": deal_id, "product_name": name, "spec": spec, "units": int(units), "orders": orders}
        for deal_id, name, spec, units, orders in fetch_rows(_deals_query(lines))
    ]
    lines_of: dict[int, list[dict[str, int]]] = {}
    for order_id, deal_id, units in fetch_rows(lines.order_by(OrderLine.order_id, OrderLine.id)):
        lines_of.setdefault(order_id, []).append({"deal_id": deal_id, "quantity": units})
    shoppers = []
    orders = fetch_rows(_orders_query(leader.id, pickup_date))
    for order_id, order_no, code, status, fulfilment, address, nickname, phone in orders:
        picked = lines_of.get(order_id)
        if not picked:
            continue
        if fulfilment == DELIVERY and address:  # the recipient, as the leader delivers
            nickname, phone = address.get("recipient"), address.get("phone")
        shoppers.append(
            {
                "order_id": order_id,
                "order_no": order_no,
                "pickup_code": code,
                "status": status,
                "fulfilment": fulfilment,
                "name": mask_name(nickname or ""),
                "phone": mask_phone(phone) if phone else None,
                "units": sum(line["quantity"] for line in picked),
                "lines": picked,
            }
        )
    return PickList(
        pickup_date=pickup_date,
        pickup_point_name=leader.pickup_point_name,
        total_units=sum(d["units"] for d in deals),
        total_orders=len(shoppers),
        deals=deals,
        shoppers=shoppers,
    )
