"""Member prices: a deal's price for shoppers of a membership tier (and the tiers above it).

A member price is below the group price and not under the platform's floor: at most
``member_price_max_discount_percent`` off the group price (seed 000: "up to 50 % off"). Whether a tier may use
member prices at all is a benefit of the tier (membership_tiers.member_price_enabled), decided at checkout.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete

from groupbuy.accounts.enums import Tier
from groupbuy.audit.service import record_action
from groupbuy.catalog.enums import DealStatus
from groupbuy.catalog.models import Deal, DealMemberPrice
from groupbuy.common import read_cache
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.settings import settings


def member_price_floor(group_price_fen: int) -> int:
    """The lowest member price a deal at ``group_price_fen`` may carry (rounded up to the fen)."""
    keep = 100 - settings().member_price_max_discount_percent
    return max(1, -(-group_price_fen * keep // 100))


def _check(deal: Deal, prices: Sequence[tuple[Tier, int]]) -> None:
    floor = member_price_floor(deal.group_price_fen)
    problems = []
    seen: set[Tier] = set()
    for tier, price in prices:
        if tier in seen:
            problems.append(f"{tier.value}: given twice")
        seen.add(tier)
        if price >= deal.group_price_fen:
            problems.append(f"{tier.value}: must be below the group price {deal.group_price_fen}")
        elif price < floor:
            problems.append(f"{tier.value}: must be at least {floor} (the group price less the maximum discount)")
    if problems:
        raise Invalid("member_price_invalid", errors={"member_prices": problems})


def write_member_prices(deal: Deal, prices: Sequence[tuple[Tier, int]]) -> list[dict[str, object]]:
    """Replace the deal's member prices (inside the caller's transaction); what they are now."""
    _check(deal, prices)
    db.session.execute(delete(DealMemberPrice).where(DealMemberPrice.deal_id == deal.id))
    db.session.add_all(DealMemberPrice(deal_id=deal.id, tier=tier, price_fen=price) for tier, price in prices)
    db.session.flush()
    db.session.expire(deal, ["member_prices"])
    order = list(Tier)
    return [{"tier": t.value, "price_fen": price} for t, price in sorted(prices, key=lambda p: order.index(p[0]))]


def set_member_prices(*, actor_id: int, deal_id: int, prices: Sequence[tuple[Tier, int]], now: datetime) -> Deal:
    """An admin sets (replaces) a deal's member prices; an empty list removes them. Audited with before/after."""
    with transaction():
        read_cache.changed()  # shoppers see this: kept deal pages and lists end
        deal = db.session.get(Deal, deal_id, with_for_update=True)
        if deal is None:
            raise NotFound()
        if deal.status is DealStatus.CANCELLED:
            raise Conflict("deal_closed")
        before = [{"tier": p.tier.value, "price_fen": p.price_fen} for p in deal.member_prices]
        after = write_member_prices(deal, prices)
        record_action(
            actor_id=actor_id,
            action="deal.member_prices",
            object_type="deal",
            object_id=deal.id,
            now=now,
            before={"member_prices": before},
            after={"member_prices": after},
        )
        return deal
