"""Page doors of the customer-service console (/console/, a CS or admin cookie session): order search and the
order's file with its goodwill-refund form, accounts (suspend, reinstate), the audit trail of each object.

Each view reads the form, calls one CS service with ``clock.now()``, and renders a template; a write that worked
redirects back (no refund twice on a reload), a refusal is said on the page it came from.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from groupbuy import clock
from groupbuy.aftersales import service as aftersales
from groupbuy.aftersales.enums import DisputeStatus
from groupbuy.cs import service as cs
from groupbuy.errors import DomainError
from groupbuy.i18n import title_for
from groupbuy.web import session
from groupbuy.web.console import PAGE_SIZE, console_helpers, mobile, order_filters, positive_int, staff_page
from groupbuy.web.console_cases import decision_form, evidence_urls, fen_of, sla_badges
from groupbuy.web.format import t
from groupbuy.web.pages import domain_error_page, page

console = Blueprint("console", __name__, url_prefix="/console")
console.register_error_handler(DomainError, domain_error_page)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return page(template, status, **console_helpers(), sla_badges=sla_badges, **context)


def _said(error: DomainError) -> str:
    return title_for(error.code, error.status, **error.params)


@console.get("/login")
def login() -> Response:
    """One login form for leaders and CS: the workbench's, coming back here afterwards."""
    return redirect(url_for("workbench.login_page", next="/console/"))


@console.post("/logout")
@staff_page
def logout(actor_id: int) -> Response:
    """Revoke the console session's token and clear its cookie (CSRF-checked like every form)."""
    response = redirect(url_for("workbench.login_page"))
    session.end_session(response, clock.now())
    return response


@console.get("/")
@staff_page
def orders(actor_id: int) -> Response:
    """Order search: number, shopper phone, leader, order dates; newest first."""
    filters, bad = order_filters(request.args)
    page_no = positive_int(request.args.get("page")) or 1
    found = cs.search_orders(**filters, page=page_no, page_size=PAGE_SIZE) if filters and not bad else None
    return _page("console_orders.html", found=found, bad=bad, args=request.args, active="orders")


@console.get("/orders/<int:order_id>")
@staff_page
def order(actor_id: int, order_id: int) -> Response:
    """One order's file: lines, tracking, payments, refunds; the goodwill-refund form."""
    return _order_page(actor_id, order_id)


def _order_page(actor_id: int, order_id: int, status: int = 200, error: str | None = None) -> Response:
    dossier = cs.open_order(order_id=order_id, viewer_id=actor_id)
    refunded = positive_int(request.args.get("refunded"))
    return _page("console_order.html", status, d=dossier, error=error, refunded=refunded, active="orders")


@console.post("/orders/<int:order_id>/goodwill-refund")
@staff_page
def goodwill_refund(actor_id: int, order_id: int) -> Response:
    """The goodwill form: units of one line, or an amount (yuan) for its goods kept, with a reason; back to the
    order page with the outcome."""
    line_id, quantity = positive_int(request.form.get("line_id")), positive_int(request.form.get("quantity"))
    typed = request.form.get("amount_yuan", "").strip()
    amount = fen_of(typed) if typed else None
    reason = request.form.get("reason", "").strip()[:500]
    if typed:
        quantity = None  # an amount for the goods kept, not units
    if line_id is None or not (amount or (quantity and quantity <= 99)) or not reason:
        wanted = t("请选择商品、填写数量或金额和原因", "Choose a line, a quantity or an amount, and a reason")
        return _order_page(actor_id, order_id, 422, wanted)
    try:
        line = cs.GoodwillLine(order_item_id=line_id, quantity=quantity, amount_fen=amount)
        done = cs.goodwill_refund(order_id=order_id, lines=[line], reason=reason, actor_id=actor_id, now=clock.now())
    except DomainError as error:
        return _order_page(actor_id, order_id, error.status, _said(error))
    return redirect(url_for("console.order", order_id=order_id, refunded=done.amount_fen))


@console.get("/accounts")
@staff_page
def accounts(actor_id: int) -> Response:
    """Find an account by mobile number or id, with its status and the suspend / reinstate forms."""
    raw = request.args.get("q", "").strip()
    phone, user_id = mobile(raw), positive_int(raw) if len(raw) < 11 else None
    users = cs.find_accounts(phone=phone, user_id=user_id) if raw else []
    return _page("console_accounts.html", users=users, q=raw, done=request.args.get("done"), active="accounts")


@console.post("/accounts/<int:user_id>/<any(suspend, reinstate):action>")
@staff_page
def account_action(actor_id: int, user_id: int, action: str) -> Response:
    """Suspend or reinstate (ranks checked by the service: 403 outranked said on a page); audited."""
    reason = request.form.get("reason", "").strip()[:500]
    if not reason:
        return _page(
            "console_accounts.html",
            422,
            users=cs.find_accounts(user_id=user_id),
            q=str(user_id),
            error=t("请填写原因", "Give a reason"),
            active="accounts",
        )
    act = cs.suspend_account if action == "suspend" else cs.reinstate_account
    act(user_id=user_id, actor_id=actor_id, reason=reason, now=clock.now())
    return redirect(url_for("console.accounts", q=str(user_id), done=action))


@console.get("/audit")
@staff_page
def audit(actor_id: int) -> Response:
    """The audit trail of one object (type and id), newest first."""
    object_type = request.args.get("object_type", "").strip()[:40] or None
    object_id = positive_int(request.args.get("object_id"))
    page_no = positive_int(request.args.get("page")) or 1
    trail = cs.audit_trail(object_type=object_type, object_id=object_id, page=page_no, page_size=PAGE_SIZE)
    return _page(
        "console_audit.html", trail=trail, object_type=object_type or "", object_id=object_id or "", active="audit"
    )


@console.get("/disputes")
@staff_page
def disputes(actor_id: int) -> Response:
    """The dispute queue: open first, priority first, then by SLA due time; SLA badges."""
    status = DisputeStatus.RESOLVED if request.args.get("status") == "resolved" else DisputeStatus.OPEN
    page_no = positive_int(request.args.get("page")) or 1
    now = clock.now()
    queue = aftersales.dispute_queue(status=status, page=page_no, page_size=PAGE_SIZE, now=now)
    return _page("console_disputes.html", found=queue, shown=status.value, now=now, active="disputes")


@console.get("/disputes/<int:dispute_id>")
@staff_page
def dispute(actor_id: int, dispute_id: int) -> Response:
    """One case: the request, both sides' statements and evidence, the order's tracking, payments and refunds,
    and the decide form."""
    return _dispute_page(actor_id, dispute_id)


def _dispute_page(actor_id: int, dispute_id: int, status: int = 200, error: str | None = None) -> Response:
    now = clock.now()
    case = aftersales.dispute_case(dispute_id=dispute_id, viewer_id=actor_id, now=now)
    return _page(
        "console_dispute.html", status, c=case, error=error, evidence=evidence_urls(case), now=now, active="disputes"
    )


@console.post("/disputes/<int:dispute_id>/resolve")
@staff_page
def resolve(actor_id: int, dispute_id: int) -> Response:
    """The decide form: decision, refund amount (yuan), responsibility, note; back to the case with the outcome."""
    decided = decision_form(request.form)
    if isinstance(decided, str):
        return _dispute_page(actor_id, dispute_id, 422, decided)
    try:
        aftersales.resolve_dispute(cs_user_id=actor_id, dispute_id=dispute_id, now=clock.now(), **decided)
    except DomainError as error:
        return _dispute_page(actor_id, dispute_id, error.status, _said(error))
    return redirect(url_for("console.dispute", dispute_id=dispute_id, resolved=1))
