"""Application and leader states, licence kinds, credit ledger kinds."""

from enum import StrEnum


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class LeaderStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class LicenceKind(StrEnum):
    FOOD_BUSINESS = "food_business"
    OTHER = "other"


class CreditKind(StrEnum):
    """One ledger row kind per rule of seed 001 (诚信通 style credit)."""

    IDENTITY = "identity"
    SENIORITY = "seniority"
    FOOD_LICENCE = "food_licence"
    OTHER_LICENCE = "other_licence"
    REVIEW = "review"
