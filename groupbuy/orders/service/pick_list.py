"""The pick list of a pickup date: units per deal, then each order with its shopper (masked) and pickup code.

Only the active units of paid, live orders count (PICK_LIST_STATES; a line's refunded units are left out),
so the totals equal the units still to be handed out. Built from two Core queries into plain dicts: a
leader with 5,000 orders on one date gets it well inside 100 ms (bench/pick_list.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from groupbuy.accounts.models import User
from groupbuy.common.fields import mask_name, mask_phone
from groupbuy.db import db
from groupbuy.leaders.service import get_active_leader
from groupbuy.orders.enums import Fulfilment, LineStatus
from groupbuy.orders.models import Order, OrderLine
from groupbuy.orders.states import PICK_LIST_STATES

_PICKING = sorted(PICK_LIST_STATES)


@dataclass(frozen=True)
class PickList:
    pickup_date: date
    pickup_point_name: str
    total_units: int
    total_orders: int
    deals: list[dict[str, Any]]  # {deal_id, product_name, spec, units, orders}
    shoppers: list[dict[str, Any]]  # {order_id, order_no, pickup_code, status, fulfilment, name, phone, units, lines}

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
            Order.status,
            Order.fulfilment,
            Order.address,
            User.nickname,
            User.phone,
        )
        .join(User, User.id == Order.user_id)
        .where(Order.leader_id == leader_id, Order.pickup_date == pickup_date, Order.status.in_(_PICKING))
        .order_by(Order.pickup_code, Order.id)  # printed, the leader finds a shopper's code by its digits
    )


def _lines_query(leader_id: int, pickup_date: date) -> Any:
    return (
        select(
            OrderLine.order_id,
            OrderLine.deal_id,
            OrderLine.product_name,
            OrderLine.spec,
            (OrderLine.quantity - OrderLine.refunded_quantity).label("units"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.leader_id == leader_id,
            Order.pickup_date == pickup_date,
            Order.status.in_(_PICKING),
            OrderLine.status == LineStatus.ACTIVE,
        )
        .order_by(OrderLine.order_id, OrderLine.id)
    )


def pick_list(*, user_id: int, pickup_date: date) -> PickList:
    """My pick list for one pickup date (403 unless an active leader; only my own orders)."""
    leader = get_active_leader(user_id=user_id)
    lines_of: dict[int, list[dict[str, Any]]] = {}
    deals: dict[int, dict[str, Any]] = {}
    for line in db.session.execute(_lines_query(leader.id, pickup_date)):
        lines_of.setdefault(line.order_id, []).append(
            {"deal_id": line.deal_id, "product_name": line.product_name, "spec": line.spec, "quantity": line.units}
        )
        deal = deals.get(line.deal_id)
        if deal is None:
            deal = deals[line.deal_id] = {
                "deal_id": line.deal_id,
                "product_name": line.product_name,
                "spec": line.spec,
                "units": 0,
                "orders": 0,
            }
        deal["units"] += line.units
        deal["orders"] += 1
    shoppers = []
    for order in db.session.execute(_orders_query(leader.id, pickup_date)):
        lines = lines_of.get(order.id)
        if not lines:
            continue
        name, phone = order.nickname, order.phone
        if order.fulfilment is Fulfilment.DELIVERY and order.address:  # the recipient, as the leader delivers
            name, phone = order.address.get("recipient"), order.address.get("phone")
        shoppers.append(
            {
                "order_id": order.id,
                "order_no": order.order_no,
                "pickup_code": order.pickup_code,
                "status": order.status.value,
                "fulfilment": order.fulfilment.value,
                "name": mask_name(name or ""),
                "phone": mask_phone(phone) if phone else None,
                "units": sum(line["quantity"] for line in lines),
                "lines": lines,
            }
        )
    return PickList(
        pickup_date=pickup_date,
        pickup_point_name=leader.pickup_point_name,
        total_units=sum(d["units"] for d in deals.values()),
        total_orders=len(shoppers),
        deals=sorted(deals.values(), key=lambda d: (d["product_name"], d["deal_id"])),
        shoppers=shoppers,
    )
