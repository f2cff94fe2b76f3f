"""Leader applications: apply once at a time, CS/admin approve (leader + role + credit) or reject."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.accounts.enums import Role
from groupbuy.accounts.service import grant_role
from groupbuy.audit.service import record_action
from groupbuy.common.pagination import Page, paginate
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, NotFound
from groupbuy.leaders.enums import ApplicationStatus, LeaderStatus
from groupbuy.leaders.models import DEFAULT_COMMISSION_RATE_BP, Leader, LeaderApplication
from groupbuy.leaders.service.ledger import record_identity_credit, record_licence_credit

APPLICATION_FIELDS = (
    "display_name",
    "real_name",
    "phone",
    "pickup_point_name",
    "address",
    "lat",
    "lng",
    "opening_hours",
)
STAFF = frozenset({Role.CS, Role.ADMIN})


def _is_leader(user_id: int) -> bool:
    return db.session.scalar(select(Leader.id).where(Leader.user_id == user_id)) is not None


def submit_application(
    *, user_id: int, fields: dict[str, Any], licences: list[dict[str, str]], now: datetime
) -> LeaderApplication:
    """One pending application per user at a time; a user who already is a leader cannot apply."""
    try:
        with transaction():
            if _is_leader(user_id):
                raise Conflict("already_leader")
            pending = select(LeaderApplication.id).where(
                LeaderApplication.user_id == user_id, LeaderApplication.status == ApplicationStatus.PENDING
            )
            if db.session.scalar(pending) is not None:
                raise Conflict("application_pending")
            application = LeaderApplication(
                user_id=user_id,
                status=ApplicationStatus.PENDING,
                licences=[{"kind": str(item["kind"]), "url": item["url"]} for item in licences],
                created_at=now,
                updated_at=now,
                **{name: fields[name] for name in APPLICATION_FIELDS},
            )
            db.session.add(application)
            db.session.flush()  # why: the audit entry needs the application's id
            record_action(
                actor_id=user_id,
                action="leader_application.submit",
                object_type="leader_application",
                object_id=application.id,
                after={"status": ApplicationStatus.PENDING.value},
                now=now,
            )
    except IntegrityError as exc:  # a concurrent submit won the one-pending unique index
        raise Conflict("application_pending") from exc
    return application


def latest_application(*, user_id: int) -> LeaderApplication:
    """The user's most recent application."""
    application = db.session.scalar(
        select(LeaderApplication)
        .where(LeaderApplication.user_id == user_id)
        .order_by(LeaderApplication.created_at.desc(), LeaderApplication.id.desc())
        .limit(1)
    )
    if application is None:
        raise NotFound()
    return application


def view_application(*, application_id: int, viewer_id: int, viewer_roles: set[Role]) -> LeaderApplication:
    """The applicant and staff see an application; anyone else gets 404."""
    application = db.session.get(LeaderApplication, application_id)
    if application is None or (application.user_id != viewer_id and not viewer_roles & STAFF):
        raise NotFound()
    return application


def list_applications(*, status: ApplicationStatus | None, page: int, page_size: int) -> Page[LeaderApplication]:
    """Staff queue: oldest first, so the longest-waiting applicant is served first."""
    query = select(LeaderApplication).order_by(LeaderApplication.created_at, LeaderApplication.id)
    if status is not None:
        query = query.where(LeaderApplication.status == status)
    return paginate(query, page=page, page_size=page_size)


def _decide(
    *, application_id: int, actor_id: int, status: ApplicationStatus, reason: str | None, now: datetime
) -> LeaderApplication:
    """pending -> approved|rejected as one conditional UPDATE; 404 if missing, 409 if already decided."""
    changed = db.session.execute(
        update(LeaderApplication)
        .where(LeaderApplication.id == application_id, LeaderApplication.status == ApplicationStatus.PENDING)
        .values(status=status, reject_reason=reason, reviewed_by=actor_id, reviewed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    application = db.session.get(LeaderApplication, application_id, populate_existing=True)
    if application is None:
        raise NotFound()
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise Conflict("application_not_pending")
    return application


def approve_application(*, application_id: int, actor_id: int, commission_rate_bp: int | None, now: datetime) -> Leader:
    """Approval makes an active, identity-verified leader with the role, credit and pickup point applied for."""
    with transaction():
        application = _decide(
            application_id=application_id, actor_id=actor_id, status=ApplicationStatus.APPROVED, reason=None, now=now
        )
        if _is_leader(application.user_id):
            raise Conflict("already_leader")
        leader = Leader(
            user_id=application.user_id,
            application_id=application.id,
            status=LeaderStatus.ACTIVE,
            commission_rate_bp=DEFAULT_COMMISSION_RATE_BP if commission_rate_bp is None else commission_rate_bp,
            offers_delivery=False,
            delivery_fee_fen=0,
            identity_verified=True,  # CS checked the real name and phone carried by the application
            rating_bp=None,
            credit_score=0,
            active_since=now,
            created_at=now,
            updated_at=now,
            **{name: getattr(application, name) for name in APPLICATION_FIELDS},
        )
        db.session.add(leader)
        db.session.flush()  # why: the ledger rows and the audit entry need the new leader's id
        record_identity_credit(leader_id=leader.id, now=now)
        record_licence_credit(leader_id=leader.id, licences=application.licences, now=now)
        grant_role(user_id=application.user_id, role=Role.LEADER, now=now)
        record_action(
            actor_id=actor_id,
            action="leader_application.approve",
            object_type="leader_application",
            object_id=application.id,
            before={"status": ApplicationStatus.PENDING.value},
            after={
                "status": ApplicationStatus.APPROVED.value,
                "leader_id": leader.id,
                "commission_rate_bp": leader.commission_rate_bp,
            },
            now=now,
        )
    return leader


def reject_application(*, application_id: int, actor_id: int, reason: str, now: datetime) -> LeaderApplication:
    """Rejection needs a reason the applicant can read; the user may apply again."""
    with transaction():
        application = _decide(
            application_id=application_id, actor_id=actor_id, status=ApplicationStatus.REJECTED, reason=reason, now=now
        )
        record_action(
            actor_id=actor_id,
            action="leader_application.reject",
            object_type="leader_application",
            object_id=application.id,
            before={"status": ApplicationStatus.PENDING.value},
            after={"status": ApplicationStatus.REJECTED.value},
            reason=reason,
            now=now,
        )
    return application
