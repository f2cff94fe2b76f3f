"""Disputes: a rejected request escalated by its shopper, or an unanswered one by the job; customer service's queue
by SLA, the case with everything both sides said, and the decision (refund, responsibility), audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select

from groupbuy.aftersales.enums import AfterSaleStatus, Decision, DisputeStatus, EscalatedBy, Responsibility
from groupbuy.aftersales.models import AfterSaleRequest, Dispute
from groupbuy.aftersales.service.moves import move_dispute, move_request
from groupbuy.aftersales.service.notices import refund_text, tell_shopper
from groupbuy.aftersales.service.refunds import grant_refund, refundable_fen, send_refund
from groupbuy.aftersales.service.requests import record_grant
from groupbuy.aftersales.service.sla import add_working_hours, dispute_terms
from groupbuy.audit.service import record_action
from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound
from groupbuy.orders import service as orders
from groupbuy.orders.models import Order, OrderRefund
from groupbuy.payments.models import Payment, Refund
from groupbuy.uploads.service import attachable_uploads

MAX_PHOTOS = 9


def _open_dispute(
    request: AfterSaleRequest, *, by: EscalatedBy, statement: str | None, images: Sequence[int], now: datetime
) -> Dispute:
    terms = dispute_terms(user_id=request.user_id, now=now)
    dispute = Dispute(
        request_id=request.id,
        order_id=request.order_id,
        user_id=request.user_id,
        leader_id=request.leader_id,
        status=DisputeStatus.OPEN,
        escalated_by=by,
        statement=statement,
        images=list(images),
        priority=terms.priority,
        sla_due_at=add_working_hours(now, terms.sla_working_hours),
        created_at=now,
        updated_at=now,
    )
    db.session.add(dispute)
    db.session.flush()
    return dispute


def escalate_request(
    *, user_id: int, request_id: int, now: datetime, statement: str | None = None, images: Sequence[int] = ()
) -> Dispute:
    """The shopper takes a rejected request to customer service: rejected → escalated, a dispute in the queue."""
    with transaction():
        request = db.session.get(AfterSaleRequest, request_id)
        if request is None or request.user_id != user_id:
            raise NotFound()
        if request.status is not AfterSaleStatus.REJECTED:
            raise Conflict("after_sale_not_rejected")
        attached = [u.id for u in attachable_uploads(user_id, list(images), now=now, field="images", limit=MAX_PHOTOS)]
        move_request(
            request_id=request_id,
            expected=[AfterSaleStatus.REJECTED],
            to=AfterSaleStatus.ESCALATED,
            actor=f"user:{user_id}",
            now=now,
            note=statement,
        )
        return _open_dispute(request, by=EscalatedBy.SHOPPER, statement=statement, images=attached, now=now)


def escalate_unanswered(*, now: datetime, limit: int = 200) -> int:
    """Requests the leader left unanswered past answer_due_at go to customer service (safe twice, on many hosts)."""
    with transaction():
        due = select(AfterSaleRequest.id).where(
            AfterSaleRequest.status == AfterSaleStatus.PENDING, AfterSaleRequest.answer_due_at <= now
        )
        ids = list(
            db.session.scalars(
                due.order_by(AfterSaleRequest.answer_due_at).limit(limit).with_for_update(skip_locked=True)
            )
        )
        escalated = 0
        for request_id in ids:
            try:
                with db.session.begin_nested():
                    move_request(
                        request_id=request_id,
                        expected=[AfterSaleStatus.PENDING],
                        to=AfterSaleStatus.ESCALATED,
                        actor="system",
                        now=now,
                        note="团长未在时限内处理，已转平台客服",
                    )
                    request = db.session.get_one(AfterSaleRequest, request_id)
                    _open_dispute(request, by=EscalatedBy.TIMEOUT, statement=None, images=(), now=now)
                    tell_shopper(request, step="escalated", answer="团长未在时限内处理，已转平台客服", now=now)
                    escalated += 1
            except Conflict:
                continue
        return escalated


@dataclass(frozen=True)
class QueueEntry:
    dispute: Dispute
    request: AfterSaleRequest
    order_no: str
    overdue: bool


def dispute_queue(*, status: DisputeStatus | None, page: int, page_size: int, now: datetime) -> Page[QueueEntry]:
    """Customer service's queue: open first, priority first, then by SLA due time (oldest first)."""
    query = select(Dispute)
    if status is not None:
        query = query.where(Dispute.status == status)
    query = query.order_by(
        case((Dispute.status == DisputeStatus.OPEN, 0), else_=1),
        Dispute.priority.desc(),
        Dispute.sla_due_at,
        Dispute.id,
    )
    result = paginate(query, page=page, page_size=page_size)
    return Page(
        items=[_entry(d, now) for d in result.items], page=result.page, page_size=result.page_size, total=result.total
    )


def dispute_entry(*, dispute_id: int, now: datetime) -> QueueEntry:
    """One dispute as the queue shows it."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound()
    return _entry(dispute, now)


def _entry(dispute: Dispute, now: datetime) -> QueueEntry:
    request = db.session.get_one(AfterSaleRequest, dispute.request_id)
    order_no = db.session.scalar(select(Order.order_no).where(Order.id == dispute.order_id)) or ""
    overdue = dispute.status is DisputeStatus.OPEN and now > dispute.sla_due_at
    return QueueEntry(dispute=dispute, request=request, order_no=order_no, overdue=overdue)


@dataclass(frozen=True)
class Case:
    entry: QueueEntry
    order: Order
    tracking: orders.Tracking
    payments: list[Payment]
    refunds: list[Refund]
    order_refunds: list[OrderRefund]
    refundable_fen: int

    @property
    def statements(self) -> list[dict[str, Any]]:
        """Both sides' words and evidence, in the order they were given."""
        request, dispute = self.entry.request, self.entry.dispute
        said = [
            {
                "party": "shopper",
                "text": request.description,
                "images": request.images,
                "photos": request.photos,
                "at": request.created_at,
            }
        ]
        if request.answered_at is not None and request.leader_note:
            said.append(
                {"party": "leader", "text": request.leader_note, "images": [], "photos": [], "at": request.answered_at}
            )
        if dispute.statement or dispute.images:
            said.append(
                {
                    "party": "shopper",
                    "text": dispute.statement,
                    "images": dispute.images,
                    "photos": dispute.photos,
                    "at": dispute.created_at,
                }
            )
        return said


def dispute_case(*, dispute_id: int, viewer_id: int, now: datetime) -> Case:
    """Everything customer service needs to decide: the order, its tracking, payments and refunds, the request,
    both sides' statements and evidence."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound()
    entry = _entry(dispute, now)
    order = db.session.get_one(Order, dispute.order_id)
    return Case(
        entry=entry,
        order=order,
        tracking=orders.order_tracking(order_id=order.id, viewer_id=viewer_id, staff=True),
        payments=list(db.session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))),
        refunds=list(db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))),
        order_refunds=list(
            db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order.id).order_by(OrderRefund.id))
        ),
        refundable_fen=_refundable(entry.request),
    )


def _refundable(request: AfterSaleRequest) -> int:
    try:
        return refundable_fen(order_id=request.order_id, items=request.items)
    except Conflict:
        return 0


def _snapshot(dispute: Dispute, request: AfterSaleRequest) -> dict[str, Any]:
    return {
        "status": dispute.status.value,
        "request_status": request.status.value,
        "decision": dispute.decision.value if dispute.decision else None,
        "refund_fen": dispute.refund_fen,
        "responsibility": dispute.responsibility.value if dispute.responsibility else None,
    }


def resolve_dispute(
    *,
    cs_user_id: int,
    dispute_id: int,
    decision: Decision,
    refund_fen: int,
    responsibility: Responsibility,
    now: datetime,
    note: str | None = None,
) -> Dispute:
    """Customer service decides once: refund 0 … refundable through the line-level refund entry point; a refund
    the leader is responsible for is deducted from their earnings; audited with before and after."""
    if decision is Decision.REFUND and refund_fen < 1:
        raise Invalid(errors={"refund_fen": ["must be more than 0 for a refund"]})
    if decision is Decision.NO_REFUND and refund_fen != 0:
        raise Invalid(errors={"refund_fen": ["must be 0 without a refund"]})
    with transaction():
        dispute = db.session.get(Dispute, dispute_id)
        if dispute is None:
            raise NotFound()
        request = db.session.get_one(AfterSaleRequest, dispute.request_id)
        before = _snapshot(dispute, request)
        actor = f"cs:{cs_user_id}"
        move_dispute(
            dispute_id=dispute_id,
            expected=DisputeStatus.OPEN,
            to=DisputeStatus.RESOLVED,
            now=now,
            values={
                "decision": decision,
                "refund_fen": refund_fen,
                "responsibility": responsibility,
                "note": note,
                "resolved_by": cs_user_id,
                "resolved_at": now,
            },
        )
        move_request(
            request_id=request.id,
            expected=[AfterSaleStatus.ESCALATED],
            to=AfterSaleStatus.RESOLVED,
            actor=actor,
            now=now,
            note=f"平台客服裁定：{f'退款 {refund_fen} 分' if refund_fen else '不退款'}（{responsibility.value}）",
        )
        grant = grant_refund(
            order_id=request.order_id, items=request.items, amount_fen=refund_fen, actor=actor, now=now
        )
        record_grant(request_id=request.id, amount_fen=grant.amount_fen, order_refund_id=grant.order_refund_id)
        if grant.order_refund_id is not None:
            db.session.execute(
                Dispute.__table__.update()  # type: ignore[attr-defined]
                .where(Dispute.id == dispute_id)
                .values(order_refund_id=grant.order_refund_id)
            )
        if responsibility is Responsibility.LEADER and grant.amount_fen > 0:
            orders.record_leader_deduction(
                leader_id=dispute.leader_id,
                order_id=dispute.order_id,
                amount_fen=grant.amount_fen,
                source=f"dispute:{dispute_id}",
                note=f"售后纠纷 #{dispute_id} 退款由团长承担",
                now=now,
            )
        db.session.expire_all()
        dispute = db.session.get_one(Dispute, dispute_id)
        request = db.session.get_one(AfterSaleRequest, dispute.request_id)
        tell_shopper(request, step="resolved", answer=refund_text(grant.amount_fen), now=now)
        record_action(
            actor_id=cs_user_id,
            action="dispute.resolve",
            object_type="dispute",
            object_id=dispute_id,
            now=now,
            before=before,
            after=_snapshot(dispute, request),
            reason=note,
        )
    send_refund(grant, now=now)
    return dispute
