"""Leaders (pickup points) with their user, and application payloads."""

from __future__ import annotations

from typing import Any

import factory

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.leaders.enums import LeaderStatus
from groupbuy.leaders.models import Leader
from tests.factories.accounts import make_user
from tests.factories.base import ModelFactory

# A fixed point near latitude 40°N (Beijing, Chaoyang) for distance fixtures.
BEIJING = (40.0, 116.4)


class LeaderFactory(ModelFactory):
    class Meta:
        model = Leader

    class Params:
        suspended = factory.Trait(status=LeaderStatus.SUSPENDED)

    user_id = factory.LazyFunction(lambda: make_user(Role.LEADER).id)
    display_name = factory.Sequence(lambda n: f"团长{n}")
    real_name = factory.Sequence(lambda n: f"王{n}")
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    pickup_point_name = factory.Sequence(lambda n: f"幸福小区{n}号自提点")
    address = factory.Sequence(lambda n: f"朝阳区幸福路{n}号")
    lat = BEIJING[0]
    lng = BEIJING[1]
    opening_hours = "08:00-20:00"
    status = LeaderStatus.ACTIVE
    commission_rate_bp = 1000
    offers_delivery = False
    delivery_fee_fen = 0
    identity_verified = True
    rating_bp = None
    credit_score = 0
    active_since = factory.LazyFunction(clock.now)
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)


def make_leader(**fields: Any) -> Leader:
    """An active leader (with a user holding the leader role) at ``BEIJING`` unless told otherwise."""
    return LeaderFactory(**fields)


def application_payload(**overrides: Any) -> dict[str, Any]:
    """A valid body for POST /api/v1/leader-applications."""
    body: dict[str, Any] = {
        "display_name": "小区团长阿芳",
        "real_name": "李芳",
        "phone": "13812345678",
        "pickup_point_name": "幸福小区 3 号楼便利店",
        "address": "北京市朝阳区幸福路 3 号",
        "lat": BEIJING[0],
        "lng": BEIJING[1],
        "opening_hours": "08:00-21:00",
        "licences": [{"kind": "food_business", "url": "https://files.example.com/licence-1.jpg"}],
    }
    body.update(overrides)
    return body
