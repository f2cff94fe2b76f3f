"""Product and deal states."""

from enum import StrEnum


class ProductStatus(StrEnum):
    """Server-owned: moderation sets held, admins approve, deactivate or reactivate."""

    ACTIVE = "active"
    HELD = "held"  # held back for review (banned word, thin description)
    INACTIVE = "inactive"


class DealStatus(StrEnum):
    """Stored state of a deal; time decides whether an active deal is on sale."""

    ACTIVE = "active"
    CANCELLED = "cancelled"


class DealPhase(StrEnum):
    """What a shopper sees: the stored status combined with the clock."""

    UPCOMING = "upcoming"
    ON_SALE = "on_sale"
    CLOSED = "closed"
    CANCELLED = "cancelled"
