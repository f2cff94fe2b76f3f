"""What a shopper sees of their membership: tier, spend, progress to the next tier, benefits in zh and en."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from groupbuy.i18n import localized
from groupbuy.membership.service.benefits import Benefits, all_tiers
from groupbuy.membership.service.standing import standing_of
from groupbuy.settings import settings


def _yuan(fen: int) -> str:
    return f"{fen / 100:.0f}" if fen % 100 == 0 else f"{fen / 100:.2f}"


def _benefit(code: str, names: tuple[str, str], detail: tuple[str, str], enabled: bool) -> dict[str, Any]:
    return {
        "code": code,
        "name": localized(names),
        "name_zh": names[0],
        "name_en": names[1],
        "detail": localized(detail) if enabled else localized(("暂未解锁", "Not unlocked yet")),
        "enabled": enabled,
    }


def benefit_list(tier: Benefits) -> list[dict[str, Any]]:
    """Each benefit of a tier, named in zh and en, from the tier's row."""
    coupons = tier.monthly_coupon_allowance
    limit = _yuan(tier.fast_refund_limit_fen)
    cap = tier.fast_refund_monthly_cap
    days = tier.order_protection_days
    sla = tier.dispute_sla_hours
    return [
        _benefit(
            "member_price",
            ("会员价", "Member prices"),
            ("部分商品享会员专享价", "Member prices on selected deals"),
            tier.member_price_enabled,
        ),
        _benefit(
            "monthly_coupons",
            ("每月领券", "Monthly coupons"),
            (f"每月可在领券中心领取 {coupons} 张券", f"Claim {coupons} coupons a month in the coupon centre"),
            coupons > 0,
        ),
        _benefit(
            "new_leader_coupon",
            ("新团长首单券", "New-leader coupon"),
            ("在新团长处首次下单可用立减券", "A ¥-off coupon on your first order with a new leader"),
            tier.new_leader_coupon,
        ),
        _benefit(
            "fast_refund",
            ("极速退款", "Fast refund"),
            (
                f"下单 2 小时内、团长确认前取消 {limit} 元以内的订单立即退款，每月 {cap} 次",
                f"Orders up to ¥{limit} cancelled within 2 hours, before the leader confirms, are refunded at once;"
                f" {cap} a month",
            ),
            tier.fast_refund_limit_fen > 0 and cap > 0,
        ),
        _benefit(
            "order_protection",
            ("订单保障", "Order protection"),
            (
                f"收货后 {days} 天内可因质量问题申请售后",
                f"Quality problems can be claimed for {days} days after receipt",
            ),
            days > 0,
        ),
        _benefit(
            "priority_service",
            ("优先客服", "Priority service"),
            (f"纠纷优先处理，{sla} 个工作小时内答复", f"Disputes handled first, answered within {sla} working hours"),
            tier.priority_service,
        ),
    ]


def _tier_name(tier: Benefits) -> dict[str, Any]:
    return {
        "code": tier.tier,
        "name": localized((tier.name_zh, tier.name_en)),
        "name_zh": tier.name_zh,
        "name_en": tier.name_en,
        "threshold_fen": tier.threshold_fen,
    }


def my_membership(*, user_id: int, now: datetime) -> dict[str, Any]:
    """GET /me/membership: the tier, the spend behind it, the way to the next tier and what each gives."""
    standing = standing_of(user_id=user_id, now=now)
    tiers = all_tiers()
    current = next(t for t in tiers if t.tier == standing.tier)
    higher = [t for t in tiers if t.rank > current.rank]
    upcoming = higher[0] if higher else None
    if upcoming is None:
        to_next, progress = None, 100
    else:
        to_next = max(upcoming.threshold_fen - standing.spend_fen, 0)
        span = upcoming.threshold_fen - current.threshold_fen
        done = min(max(standing.spend_fen - current.threshold_fen, 0), span)
        progress = 100 if span <= 0 else done * 100 // span
    return {
        "tier": _tier_name(current),
        "spend_fen": standing.spend_fen,
        "window_days": settings().membership_spend_window_days,
        "computed_at": standing.computed_at,
        "next_tier": _tier_name(upcoming) if upcoming else None,
        "to_next_fen": to_next,
        "progress_percent": progress,
        "granted_until": standing.granted_until,
        "benefits": benefit_list(current),
        "tiers": [_tier_name(t) for t in tiers],
    }
