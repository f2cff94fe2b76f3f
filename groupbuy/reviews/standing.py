"""The standing figure search ranks deals by (seed 001: "match, then standing, then recency"), as plain arithmetic.

A deal's standing weighs, in this order of importance:

1. the deal's own rating: the share of positive (4-5 star) goods reviews over the rating window;
2. its leader's rating: the share of positive leader ratings over the same window;
3. its leader's credit score (the seed-001 ledger: identity, seniority, licences, reviews).

**Its leader.** A deal is platform-wide: every leader may run a group on it (``groups``: one per leader and deal).
The leader whose standing speaks for a deal is the leader of its largest group (most units paid, then the
earliest group): the pickup point through which most buyers of the deal meet it. A deal without a group yet has
no leader and a neutral leader part.

Ratings are smoothed towards a neutral prior (``PRIOR_BP`` as if ``PRIOR_WEIGHT`` ratings had been given), so one
lucky 5-star review does not outrank a hundred reviews at 98 %; the parts are centred on that prior, so an unrated
deal, a deal never refreshed (standing 0) and a deal rated exactly at the prior stand level, and poor ratings push
a deal down. Credit only adds (capped): ``DEAL_WEIGHT`` x deal part + leader part + ``CREDIT_WEIGHT`` x credit.
"""

from __future__ import annotations

PRIOR_BP = 8000  # a neutral 80 % positive
PRIOR_WEIGHT = 5
DEAL_WEIGHT = 2
CREDIT_WEIGHT = 10
CREDIT_CAP = 200
POSITIVE_FROM = 4  # 4-5 stars are positive


def positive_share_bp(positives: int, count: int) -> int | None:
    """Positives / count x 10000 (rounded down), None without ratings."""
    return positives * 10000 // count if count else None


def smoothed_bp(rating_bp: int | None, count: int) -> int:
    """The share pulled towards the prior by ``PRIOR_WEIGHT`` imaginary ratings."""
    positives_bp = (rating_bp or 0) * count
    return round((positives_bp + PRIOR_BP * PRIOR_WEIGHT) / (count + PRIOR_WEIGHT))


def standing(
    *, deal_rating_bp: int | None, deal_count: int, leader_rating_bp: int | None, leader_count: int, leader_credit: int
) -> int:
    """One integer, higher ranks first."""
    deal_part = smoothed_bp(deal_rating_bp, deal_count) - PRIOR_BP
    leader_part = smoothed_bp(leader_rating_bp, leader_count) - PRIOR_BP
    return DEAL_WEIGHT * deal_part + leader_part + CREDIT_WEIGHT * min(max(leader_credit, 0), CREDIT_CAP)
