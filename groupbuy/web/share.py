"""What the group share page shows: the deal, the price, progress to the threshold, the cutoff and the pickup point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from groupbuy.catalog.enums import DealPhase
from groupbuy.catalog.service import deal_phase
from groupbuy.common.urls import absolute_url
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.service import get_group
from groupbuy.settings import settings
from groupbuy.web.format import countdown, percent, t

# What a shopper is told once the group can no longer be joined (zh, en).
CLOSED_WORDS = {
    GroupStatus.SUCCEEDED: ("已成团，已截单，请按时到自提点取货", "Succeeded and closed; pick up on the day"),
    GroupStatus.FAILED: (
        "未达成团人数，本团已关闭，已付款项将原路退回",
        "The group fell short of its threshold and is closed; payments are refunded",
    ),
    GroupStatus.CANCELLED: ("本团已取消，已付款项将原路退回", "This group was cancelled; payments are refunded"),
}
PAST_CUTOFF = ("已截单，正在统计成团结果", "Orders are closed; the outcome is being counted")
DEAL_CANCELLED = ("活动已取消", "The deal was cancelled")
NOT_STARTED = ("活动尚未开始", "The deal has not started yet")


@dataclass(frozen=True)
class SharePage:
    group_id: int
    status: GroupStatus
    joinable: bool
    notice: str | None  # why it cannot be joined, in the reader's language
    title: str
    spec: str
    description: str
    image_url: str | None
    group_price_fen: int
    list_price_fen: int
    units_paid: int
    threshold: int
    progress_percent: int
    cutoff_at: datetime
    countdown: str
    pickup_date: date
    leader_name: str
    pickup_point: str
    address: str
    opening_hours: str
    share_url: str
    qr_svg_url: str
    miniapp_path: str


def _notice(status: GroupStatus, phase: DealPhase) -> tuple[str, str] | None:
    if status in CLOSED_WORDS:
        return CLOSED_WORDS[status]
    if phase is DealPhase.CANCELLED:
        return DEAL_CANCELLED
    if phase is DealPhase.CLOSED:
        return PAST_CUTOFF
    if phase is DealPhase.UPCOMING:
        return NOT_STARTED
    return None


def share_page(*, group_id: int, now: datetime) -> SharePage:
    """A group's public page (404 for an unknown group); closed, failed and cancelled groups say so."""
    view = get_group(group_id=group_id)
    group, deal, leader = view.group, view.deal, view.leader
    product = deal.sku.product
    notice = _notice(group.status, deal_phase(deal, now=now))
    return SharePage(
        group_id=group.id,
        status=group.status,
        joinable=notice is None,
        notice=t(*notice) if notice else None,
        title=deal.title,
        spec=deal.sku.spec,
        description=product.description,
        image_url=product.images[0] if product.images else None,
        group_price_fen=deal.group_price_fen,
        list_price_fen=deal.sku.list_price_fen,
        units_paid=group.units_paid,
        threshold=deal.min_group_quantity,
        progress_percent=percent(group.units_paid, deal.min_group_quantity),
        cutoff_at=deal.cutoff_at,
        countdown=countdown(deal.cutoff_at, now),
        pickup_date=deal.pickup_date,
        leader_name=leader.display_name,
        pickup_point=leader.pickup_point_name,
        address=leader.address,
        opening_hours=leader.opening_hours,
        share_url=view.share_url,
        qr_svg_url=absolute_url(f"/api/v1/groups/{group.id}/qr.svg"),
        miniapp_path=settings().miniapp_group_path.format(group_id=group.id),
    )
