"""The unit price a shopper pays at checkout: the best member price their membership tier allows, else the group
price; the line keeps which price it was (price_kind, price_tier).

Member prices cost a checkout one query, and none for a shopper whose tier has no member-price benefit (checkout's
first read already joins the shopper's tier row).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from groupbuy.accounts.enums import Tier
from groupbuy.catalog.models import DealMemberPrice
from groupbuy.catalog.service import DealForSale
from groupbuy.membership.models import MembershipTier
from groupbuy.orders.enums import PriceKind

Price = tuple[int, PriceKind, Tier | None]  # unit price, which price it is, the member price's tier

# The member prices the shopper's tier allows (its own and lower tiers'), for the deals ordered.
_MEMBER_PRICES = (
    select(DealMemberPrice.deal_id, DealMemberPrice.tier, DealMemberPrice.price_fen)
    .join(MembershipTier, MembershipTier.code == DealMemberPrice.tier)
    .where(
        DealMemberPrice.deal_id.in_(bindparam("deal_ids", expanding=True)),
        MembershipTier.rank <= bindparam("tier_rank"),
    )
)


def prices_for(conn: Any, who: Any, wanted: list[tuple[DealForSale, int]]) -> dict[int, Price]:
    """Each deal's unit price for this shopper (``who`` carries their tier's ``tier_rank`` and
    ``member_price_enabled``): the lowest member price allowed, else the group price."""
    prices: dict[int, Price] = {deal.id: (deal.group_price_fen, PriceKind.GROUP, None) for deal, _ in wanted}
    if not who.member_price_enabled:
        return prices
    rows = conn.execute(_MEMBER_PRICES, {"deal_ids": list(prices), "tier_rank": who.tier_rank})
    for row in rows:
        if row.price_fen < prices[row.deal_id][0]:
            prices[row.deal_id] = (row.price_fen, PriceKind.MEMBER, Tier(row.tier))
    return prices
