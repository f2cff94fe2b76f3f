"""Roles, account status, code purposes."""

from enum import StrEnum


class Role(StrEnum):
    SHOPPER = "shopper"
    LEADER = "leader"
    CS = "cs"
    ADMIN = "admin"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # closed by its owner (注销): personal data anonymised, can never log in again


class Tier(StrEnum):
    """Membership tiers by yearly spend (seed 000); all free."""

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    DIAMOND = "diamond"


class CodePurpose(StrEnum):
    REGISTER = "register"
    LOGIN = "login"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose name, not a secret
    UNLOCK = "unlock"


class CodeChannel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
