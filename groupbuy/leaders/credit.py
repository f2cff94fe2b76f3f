"""Credit rules of seed 001 as plain data and arithmetic (the ledger is written by service.ledger)."""

from __future__ import annotations

from datetime import datetime

from groupbuy.leaders.enums import CreditKind, LicenceKind

IDENTITY_POINTS = 10
IDENTITY_REF = "identity"
POINTS_PER_YEAR = 20  # each full year active after the first
FIRST_CREDITED_YEAR = 2

# licence kind -> (ledger kind, points per certificate, cap over all certificates of that kind)
LICENCE_POINTS: dict[LicenceKind, tuple[CreditKind, int, int]] = {
    LicenceKind.FOOD_BUSINESS: (CreditKind.FOOD_LICENCE, 5, 5),
    LicenceKind.OTHER: (CreditKind.OTHER_LICENCE, 2, 10),
}

POSITIVE_REVIEW_POINTS = 2
NEGATIVE_REVIEW_POINTS = -2


def review_points(stars: int) -> int:
    """4-5 stars positive (+2), 3 neutral (0), 1-2 negative (-2)."""
    if not 1 <= stars <= 5:
        raise ValueError(f"stars must be 1..5, got {stars}")
    if stars >= 4:
        return POSITIVE_REVIEW_POINTS
    return 0 if stars == 3 else NEGATIVE_REVIEW_POINTS


def review_ref(review_id: int) -> str:
    return f"review-{review_id}"


def year_ref(year: int) -> str:
    return f"year-{year}"


def licence_ref(index: int) -> str:
    return f"licence-{index}"


def anniversary(start: datetime, years: int) -> datetime:
    """``start`` plus ``years`` calendar years; 29 February falls back to 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def full_years(start: datetime, now: datetime) -> int:
    """How many whole years lie between ``start`` and ``now`` (anniversaries passed)."""
    years = max(now.year - start.year, 0)
    while years > 0 and anniversary(start, years) > now:
        years -= 1
    return years


def credited_years(start: datetime, now: datetime) -> list[int]:
    """Year numbers that earn seniority points by ``now``: 2, 3, ... (the first year earns nothing)."""
    return list(range(FIRST_CREDITED_YEAR, full_years(start, now) + 1))
