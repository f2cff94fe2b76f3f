"""What every web page shares: rendering with the helpers, the leader gate, refusals as HTML pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from groupbuy import clock
from groupbuy.errors import DomainError
from groupbuy.i18n import title_for
from groupbuy.leaders.models import Leader
from groupbuy.leaders.service import get_active_leader
from groupbuy.web.format import t, template_helpers
from groupbuy.web.session import csrf_ok, csrf_token, current_session, is_leader

F = TypeVar("F", bound=Callable[..., Any])


def not_a_leader() -> str:
    """Worded at request time, in the reader's language."""
    return t("工作台仅供团长使用，当前账号不是团长", "The workbench is for group leaders; this account is not one")


def form_expired() -> str:
    return t("页面已过期，请刷新后重试", "This form has expired; reload the page and try again")


NO_STORE = "no-store"  # pages with a leader's figures and customers: never kept by a shared cache


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A web template (templates/web/) with the page helpers and this session's CSRF token."""
    html = render_template(
        f"web/{template}",
        csrf_token=csrf_token(),
        server_now=clock.now().isoformat(),
        **template_helpers(),
        **context,
    )
    return no_store(make_response(html, status))


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response


def refusal(status: int, message: str) -> Response:
    """A clear refusal as a page (not JSON): what went wrong and the way back."""
    return page("refusal.html", status, message=message)


def domain_error_page(error: DomainError) -> Response:
    """A rule said no inside a page: its title as the page's message, its status kept."""
    return refusal(error.status, title_for(error.code, error.status, **error.params))


def too_many_page(error: HTTPException) -> Response:
    """429 as a page, with the limiter's Retry-After."""
    response = refusal(429, title_for("rate_limited", 429))
    retry_after = error.get_response().headers.get("Retry-After")
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


def leader_page(view: F) -> F:
    """Only for a live workbench session of an active leader: no session → the login page; another role or a
    suspended leader → a 403 page saying so. The view gets the ``leader``; a POST must carry the CSRF token."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caller = current_session(clock.now())
        if caller is None:
            return redirect(url_for("workbench.login_page", next=request.path))
        if not is_leader(caller):
            return refusal(403, not_a_leader())
        if request.method == "POST" and not csrf_ok():
            return refusal(400, form_expired())
        leader: Leader = get_active_leader(user_id=caller.id)  # 403 leader_suspended: the error page says so
        return view(*args, leader=leader, **kwargs)

    return cast(F, wrapper)
