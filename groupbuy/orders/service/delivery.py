"""Checkout's home delivery: the leader's offer, the shopper's address as a snapshot, the leader's radius."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from groupbuy.accounts.models import Address
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.leaders.service import haversine_m
from groupbuy.orders.enums import Fulfilment

_ADDRESS = select(Address.__table__).where(
    Address.id == bindparam("address_id"), Address.user_id == bindparam("user_id")
)


def delivery_address(
    conn: Any, user_id: int, who: Any, fulfilment: Fulfilment, address_id: int | None
) -> dict[str, Any] | None:
    """The address snapshot a delivered order keeps (None for pickup), read on checkout's connection ``conn``."""
    if fulfilment is Fulfilment.PICKUP:
        return None
    if not who.offers_delivery:
        raise Conflict("delivery_unavailable")
    if address_id is None:
        raise Invalid(errors={"address_id": ["required for home delivery"]})
    address = conn.execute(_ADDRESS, {"address_id": address_id, "user_id": user_id}).first()
    if address is None:
        raise NotFound()
    if who.delivery_radius_m is not None:
        _check_in_range(address, who)
    return {
        "recipient": address.recipient,
        "phone": address.phone,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
    }


def _check_in_range(address: Address, who: Any) -> None:
    """Home delivery only within the leader's radius; an address without coordinates cannot be placed."""
    if address.lat is None or address.lng is None:
        raise Conflict("address_not_located")
    distance = haversine_m(who.lat, who.lng, address.lat, address.lng)
    if distance > who.delivery_radius_m:
        away, limit = f"{distance / 1000:.1f}", f"{who.delivery_radius_m / 1000:.1f}"
        raise Conflict(
            "out_of_delivery_range",
            detail=(
                f"该地址距自提点约 {away} 公里，超出团长 {limit} 公里的配送范围",
                f"The address is about {away} km away; the leader delivers within {limit} km",
            ),
        )
