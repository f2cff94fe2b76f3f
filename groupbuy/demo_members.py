"""Demo membership for `make run`: demo shoppers in each paid-for tier (granted by the demo CS, as customer
service would), the demo shopper's tier computed from their spend, and member prices on a few live demo deals.

Everything goes through the membership and catalog services (audited like any grant or price change). Running
demo-data twice adds nothing: shoppers are made when missing, a grant only when the tier differs, member prices
only when no live demo deal has any.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select

from groupbuy.accounts.enums import Role, Tier
from groupbuy.accounts.models import User
from groupbuy.accounts.service import create_user
from groupbuy.catalog.enums import DealStatus
from groupbuy.catalog.models import Deal, DealMemberPrice
from groupbuy.catalog.service import member_price_floor, set_member_prices
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service import choose_my_leader
from groupbuy.membership.service import grant_tier, recompute_tier

MEMBERS = [  # phone, nickname, tier
    ("13800000011", "成长会员小李", Tier.ACCELERATE),
    ("13800000012", "企业会员老周", Tier.ENTERPRISE),
    ("13800000013", "高级会员陈姐", Tier.ENTERPRISE_PRO),
]
MEMBER_DEALS = 4
# Percent of the group price per tier (a tier's price also serves the tiers above it).
MEMBER_PRICE_PERCENT = {Tier.ACCELERATE: 95, Tier.ENTERPRISE: 90, Tier.ENTERPRISE_PRO: 85}


def _user(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def _members(*, password: str, cs_id: int, leader_id: int | None, now: datetime) -> int:
    granted = 0
    for phone, nickname, tier in MEMBERS:
        user = _user(phone)
        if user is None:
            user = create_user(
                phone=phone, email=None, password=password, roles=[Role.SHOPPER], nickname=nickname, now=now
            )
            if leader_id is not None:
                choose_my_leader(user_id=user.id, leader_id=leader_id, now=now)
        if user.tier is not tier:
            grant_tier(
                actor_id=cs_id, user_id=user.id, tier=tier.value, reason="演示会员 (demo member)", until=None, now=now
            )
            granted += 1
    return granted


def _member_prices(*, admin_id: int, now: datetime) -> int:
    live = (
        select(Deal)
        .where(Deal.status == DealStatus.ACTIVE, Deal.starts_at <= now, Deal.cutoff_at > now)
        .order_by(Deal.id)
    )
    priced = exists().where(DealMemberPrice.deal_id == Deal.id)
    if db.session.scalar(select(live.where(priced).exists())):
        return 0
    deals = db.session.scalars(live.limit(MEMBER_DEALS)).all()
    for deal in deals:
        floor = member_price_floor(deal.group_price_fen)
        prices = [
            (tier, max(floor, deal.group_price_fen * percent // 100))
            for tier, percent in MEMBER_PRICE_PERCENT.items()
            if deal.group_price_fen * percent // 100 < deal.group_price_fen
        ]
        set_member_prices(actor_id=admin_id, deal_id=deal.id, prices=prices, now=now)
    return len(deals)


def load_demo_members(
    *, admin_phone: str, cs_phone: str, shopper_phone: str, leader_phone: str, password: str, now: datetime
) -> str | None:
    """Demo members and member prices; a line for the loader's summary, or None when nothing was added."""
    admin, cs, shopper = _user(admin_phone), _user(cs_phone), _user(shopper_phone)
    if admin is None or cs is None:
        return None
    leader_id = db.session.scalar(
        select(Leader.id).join(User, User.id == Leader.user_id).where(User.phone == leader_phone)
    )
    granted = _members(password=password, cs_id=cs.id, leader_id=leader_id, now=now)
    if shopper is not None:
        recompute_tier(user_id=shopper.id, now=now)
    priced = _member_prices(admin_id=admin.id, now=now)
    if not granted and not priced:
        return None
    names = ", ".join(f"{nickname} {phone} ({tier.value})" for phone, nickname, tier in MEMBERS)
    return f"Demo members: {names}; member prices on {priced} live deals."
