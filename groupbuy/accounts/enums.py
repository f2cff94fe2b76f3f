"""Roles, account status, code purposes."""

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    SHOPPER = "shopper"
    LEADER = "leader"
    CS = "cs"
    ADMIN = "admin"


# Staff ranks: nobody acts on an account of their own rank or above (a user's rank is their highest role's).
RANKS: dict[Role, int] = {Role.SHOPPER: 0, Role.LEADER: 1, Role.CS: 2, Role.ADMIN: 3}


def rank_of(roles: Iterable[Role]) -> int:
    """The rank of a user holding ``roles``: admin > cs > leader > shopper."""
    return max((RANKS[role] for role in roles), default=0)


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # closed by its owner (注销): personal data anonymised, can never log in again


class Tier(StrEnum):
    """Membership tiers by yearly spend (seed 000), lowest first; all free. Their thresholds and benefits are data
    (groupbuy.membership: the membership_tiers table); membership writes a user's tier, everyone may read it."""

    SEED = "seed"
    ACCELERATE = "accelerate"
    ENTERPRISE = "enterprise"
    ENTERPRISE_PRO = "enterprise_pro"


class CodePurpose(StrEnum):
    REGISTER = "register"
    LOGIN = "login"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
    UNLOCK = "unlock"


class CodeChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
