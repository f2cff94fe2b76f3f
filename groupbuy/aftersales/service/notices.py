"""Who hears of an after-sale step: the leader of a new request, the shopper of the leader's answer, of an
escalation by the job and of customer service's decision (in-app notices, deduplicated per request and step)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from groupbuy.aftersales.models import AfterSaleRequest
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.notifications.enums import NotificationKind as K
from groupbuy.notifications.service import Notice, notify
from groupbuy.notifications.templates import yuan
from groupbuy.orders.models import Order

REASON_TEXT = {
    "quality": "质量问题",
    "missing": "少件",
    "wrong_item": "发错商品",
    "damaged": "商品破损",
    "other": "其他",
}


def _order_no(request: AfterSaleRequest) -> str:
    return db.session.scalar(select(Order.order_no).where(Order.id == request.order_id)) or ""


def tell_leader_of_request(request: AfterSaleRequest, *, now: datetime) -> None:
    """A shopper opened a request on one of the leader's orders."""
    leader_user = db.session.scalar(select(Leader.user_id).where(Leader.id == request.leader_id))
    if leader_user is None:
        return
    reason = REASON_TEXT.get(request.reason, request.reason.value)
    notify(
        notices=[
            Notice(
                user_id=leader_user,
                kind=K.LEADER_AFTERSALE_REQUESTED,
                dedupe_key=f"aftersale:{request.id}:requested",
                fields={"request_id": request.id, "order_no": _order_no(request), "reason": reason},
            )
        ],
        now=now,
    )


def tell_shopper(request: AfterSaleRequest, *, step: str, answer: str, now: datetime) -> None:
    """The shopper's request moved (``step``: accepted, rejected, escalated, resolved); ``answer`` says how."""
    kind = K.DISPUTE_RESOLVED if step == "resolved" else K.AFTERSALE_ANSWERED
    notify(
        notices=[
            Notice(
                user_id=request.user_id,
                kind=kind,
                dedupe_key=f"aftersale:{request.id}:{step}",
                fields={"request_id": request.id, "order_no": _order_no(request), "answer": answer[:200]},
            )
        ],
        now=now,
    )


def refund_text(refund_fen: int) -> str:
    return f"退款 {yuan(refund_fen)} 将原路退回" if refund_fen else "不予退款"
