"""Users with roles, addresses, and ready-made bearer headers."""

from __future__ import annotations

from typing import Any

import factory

from groupbuy import clock
from groupbuy.accounts.enums import Role, Tier, UserStatus
from groupbuy.accounts.models import Address, User, UserRole
from groupbuy.accounts.passwords import hash_password
from groupbuy.accounts.service.sessions import issue_token
from tests.conftest import DEFAULT_PASSWORD
from tests.factories.base import ModelFactory

_CHEAP_HASH = hash_password(DEFAULT_PASSWORD, profile="cheapest")


class UserFactory(ModelFactory):
    class Meta:
        model = User

    class Params:
        role_list: tuple[Role, ...] = ()
        admin = factory.Trait(role_list=(Role.ADMIN,))
        cs = factory.Trait(role_list=(Role.CS,))
        leader = factory.Trait(role_list=(Role.LEADER,))
        suspended = factory.Trait(status=UserStatus.SUSPENDED)

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    email = None
    nickname = factory.Sequence(lambda n: f"user{n}")
    password_hash = _CHEAP_HASH
    status = UserStatus.ACTIVE
    tier = Tier.SEED
    login_failures = 0
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)
    roles = factory.LazyAttribute(
        lambda o: [UserRole(role=r, granted_at=clock.now()) for r in {Role.SHOPPER, *o.role_list}]
    )


def make_user(*roles: Role, **fields: Any) -> User:
    """A user with the given roles (every user is a shopper)."""
    return UserFactory(role_list=roles, **fields)


def bearer(user: User) -> dict[str, str]:
    """Authorization headers for a fresh token of ``user``."""
    return {"Authorization": f"Bearer {issue_token(user, clock.now()).token}"}


class AddressFactory(ModelFactory):
    class Meta:
        model = Address

    recipient = "张三"
    phone = "13912345678"
    province = "浙江省"
    city = "杭州市"
    district = "西湖区"
    detail = factory.Sequence(lambda n: f"文三路{n}号")
    is_default = False
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)
