"""Page doors: the group share page (anyone) and the leader workbench (a leader's cookie session).

Each view reads the request, calls one service or read model with ``clock.now()``, and renders a template.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from groupbuy import clock
from groupbuy.accounts.schemas import normalize_target
from groupbuy.accounts.service import login_with_password
from groupbuy.errors import DomainError, NotFound
from groupbuy.extensions import limiter
from groupbuy.groups.visits import count_page_view, count_page_visitor
from groupbuy.i18n import title_for
from groupbuy.leaders.models import Leader
from groupbuy.orders.pick_list_formats import CSV, HTML, STATUS_WORDS, pick_list_answer, pick_list_response
from groupbuy.orders.service import pick_list
from groupbuy.security_headers import PAGE_POLICY, csp_nonce
from groupbuy.settings import settings
from groupbuy.web import desk, session
from groupbuy.web.figures import WINDOWS, leader_figures
from groupbuy.web.format import t
from groupbuy.web.pages import (
    domain_error_page,
    form_expired,
    leader_page,
    no_store,
    not_a_leader,
    page,
    refusal,
    too_many_page,
)
from groupbuy.web.share import share_page
from groupbuy.web.today import today_at_a_glance
from groupbuy.web.views import (
    console_target,
    figures_chart,
    issued_caller,
    login_target,
    neighbour_days,
    pickup_day,
)

share = Blueprint("share_page", __name__)
workbench = Blueprint("workbench", __name__, url_prefix="/workbench")
workbench.register_error_handler(DomainError, domain_error_page)
workbench.register_error_handler(429, too_many_page)  # the login form's per-IP limit, as a page

VISITOR_COOKIE = "gb_visitor"
VISITOR_MAX_AGE = 365 * 24 * 3600
# Product pictures live on the image host (https), not on this origin: the share page alone may show them.
SHARE_POLICY = PAGE_POLICY.replace("img-src 'self' data:", "img-src 'self' data: https:")
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def _visitor() -> str | None:
    value = request.cookies.get(VISITOR_COOKIE, "")
    return value if 16 <= len(value) <= 64 else None


@share.get("/groups/<int:group_id>")
def group_page(group_id: int) -> Response:
    """The page share_url and the group QR code open; every request counts as a view."""
    now, visitor = clock.now(), _visitor()
    try:
        view = share_page(group_id=group_id, now=now)
    except NotFound:
        return page("share_missing.html", 404)
    count_page_view(group_id=group_id, visitor=visitor, now=now)
    response = page("share.html", view=view)
    response.headers["Content-Security-Policy"] = SHARE_POLICY.format(nonce=csp_nonce())
    response.headers["Cache-Control"] = "private, no-cache"
    if visitor is None:
        secure = settings().public_base_url.startswith("https://")
        response.set_cookie(
            VISITOR_COOKIE,
            secrets.token_urlsafe(24),
            max_age=VISITOR_MAX_AGE,
            path="/groups",
            secure=secure,
            httponly=True,
            samesite="Lax",  # sent when a shopper follows a shared link from another site
        )
    return response


@share.get("/groups/<int:group_id>/seen.gif")
def group_page_beacon(group_id: int) -> Response:
    """Loaded by the page with the visitor cookie it set: a browser counts as a visitor, a cookieless bot never."""
    visitor = _visitor()
    if visitor is not None:
        count_page_visitor(group_id=group_id, visitor=visitor, now=clock.now())
    response = current_app.response_class(PIXEL, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store"
    return response


@workbench.get("/login")
def login_page() -> Response:
    """The login form (phone or e-mail and password); its CSRF token is bound to a pre-login cookie."""
    return _login_form(200, None)


def _login_form(status: int, error: str | None) -> Response:
    nonce = session.login_nonce()
    response = page("login.html", status, error=error, login_csrf=session.login_csrf(nonce), next=login_target())
    session.set_login_nonce(response, nonce)
    return response


def _auth_limit() -> str:
    return settings().auth_rate_limit


@workbench.post("/login")
@limiter.limit(_auth_limit)
def login_submit() -> Response:
    """The API's password login; the issued token goes into the HttpOnly cookie. Non-leaders are refused."""
    if not session.csrf_ok(login_form=True):
        return refusal(400, form_expired())
    login = normalize_target(request.form.get("login", ""))[:100]
    password = request.form.get("password", "")[:200]
    try:
        issued = login_with_password(login=login, password=password, now=clock.now())
    except DomainError as error:  # wrong password, locked, suspended: said on the form, with the API's wording
        return _login_form(error.status, title_for(error.code, error.status, **error.params))
    caller = issued_caller(issued)
    if session.is_staff(caller):  # customer service and admins land on the console, with its own cookie
        signed_in = redirect(console_target())
        session.start_session(signed_in, issued, console=True)
        return signed_in
    if not session.is_leader(caller):
        session.revoke(issued.token)  # no workbench session for a shopper account
        return refusal(403, not_a_leader())
    signed_in = redirect(login_target())
    session.start_session(signed_in, issued)
    return signed_in


@workbench.post("/logout")
def logout() -> Response:
    """Revoke the session's token and clear the cookie (CSRF-checked like every form)."""
    if session.session_token() is not None and not session.csrf_ok():
        return refusal(400, form_expired())
    response = redirect(url_for("workbench.login_page"))
    session.end_session(response, clock.now())
    return response


@workbench.get("/")
@leader_page
def today(leader: Leader) -> Response:
    """Today at a glance: open groups with progress, countdown and QR; orders to confirm; arrivals; pickups."""
    return page("today.html", today=today_at_a_glance(leader=leader, now=clock.now()), active="today")


@workbench.get("/figures")
@leader_page
def figures(leader: Leader) -> Response:
    """Share-page visitors and views, orders, buyers, GMV and refund rate for the last 7 or 30 days, charted."""
    days = request.args.get("days", default=7, type=int)
    days = days if days in WINDOWS else WINDOWS[0]
    result = leader_figures(leader_id=leader.id, days=days, now=clock.now())
    return page("figures.html", figures=result, chart=figures_chart(result), windows=WINDOWS, active="figures")


@workbench.post("/pickups")
@leader_page
def verify_pickup(leader: Leader) -> Response:
    """The pickup-code box: verify, then show today's page with the outcome and the moved counter."""
    code = request.form.get("pickup_code", "").strip()[:20]
    outcome = desk.verify_pickup(leader=leader, code=code, now=clock.now())
    today_now = today_at_a_glance(leader=leader, now=clock.now())
    answer = page("today.html", outcome.status, today=today_now, pickup=outcome, active="today")
    answer.headers.update(outcome.headers)
    return answer


@workbench.post("/orders/confirm")
@leader_page
def confirm_orders(leader: Leader) -> Response:
    """The "confirm all" button: every paid order of a succeeded group → confirmed (through the desk's flow)."""
    outcome = desk.confirm_waiting_orders(leader=leader, now=clock.now())
    today_now = today_at_a_glance(leader=leader, now=clock.now())
    return page("today.html", today=today_now, confirmed=outcome, active="today")


@workbench.get("/pick-list")
@leader_page
def pick_list_page(leader: Leader) -> Response:
    """The day's pick list (units per product, then each shopper), with print and CSV buttons."""
    day = pickup_day(request.args.get("pickup_date"), clock.now())
    pick = pick_list(user_id=leader.user_id, pickup_date=day)
    words = {status: t(*pair) for status, pair in STATUS_WORDS.items()}
    return page("pick_list.html", pick=pick, day=day, days=neighbour_days(day), status_words=words, active="pick_list")


@workbench.get("/pick-list/print")
@leader_page
def pick_list_print(leader: Leader) -> Response:
    """The leader API's printable pick list page, on the workbench's session."""
    day = pickup_day(request.args.get("pickup_date"), clock.now())
    return no_store(pick_list_response(pick_list(user_id=leader.user_id, pickup_date=day), HTML))


@workbench.get("/pick-list.csv")
@leader_page
def pick_list_csv(leader: Leader) -> Response:
    """The leader API's CSV (UTF-8 with BOM, for Excel), on the workbench's session."""
    day = pickup_day(request.args.get("pickup_date"), clock.now())
    return no_store(pick_list_answer(user_id=leader.user_id, pickup_date=day, fmt=CSV))
