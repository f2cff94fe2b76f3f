"""The customer-service console's shared parts: the staff gate, the search form's reading, the words it shows.

Same session scheme as the workbench (session.py): the API's token in an HttpOnly, SameSite=Strict cookie, here
scoped to /console; CSRF on every form. Only CS and admins pass the gate.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from flask import redirect, request, url_for
from werkzeug.datastructures import MultiDict

from groupbuy import clock
from groupbuy.accounts.schemas import normalize_target
from groupbuy.common.fields import mask_mobiles_in_text, mask_phone
from groupbuy.web.format import t
from groupbuy.web.pages import form_expired, refusal
from groupbuy.web.session import csrf_ok, current_session, is_staff

F = TypeVar("F", bound=Callable[..., Any])
MOBILE = re.compile(r"^1[3-9]\d{9}$")
PAGE_SIZE = 20


def not_staff() -> str:
    return t("客服后台仅供客服与管理员使用", "The console is for customer service and admins only")


def staff_page(view: F) -> F:
    """Only for a live console session of CS or an admin: no session → the login page (then back here); another
    role → a 403 page; a POST must carry the CSRF token. The view gets the ``actor_id``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caller = current_session(clock.now())
        if caller is None:
            return redirect(url_for("workbench.login_page", next=request.full_path.rstrip("?")))
        if not is_staff(caller):
            return refusal(403, not_staff())
        if request.method == "POST" and not csrf_ok():
            return refusal(400, form_expired())
        return view(*args, actor_id=caller.id, **kwargs)

    return cast(F, wrapper)


def positive_int(raw: str | None) -> int | None:
    """A positive id typed into a form, else None (the form says nothing was found)."""
    text = (raw or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) <= 15 else None


def mobile(raw: str | None) -> str | None:
    """A mainland mobile number as typed (+86, spaces, dashes), normalised; None if it is not one."""
    digits = normalize_target((raw or "")[:30])
    return digits if MOBILE.match(digits) else None


def day(raw: str | None) -> date | None:
    try:
        value = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def order_filters(args: MultiDict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The order search form as service filters, and the fields typed but not understood."""
    filters: dict[str, Any] = {}
    bad: list[str] = []
    if order_no := args.get("order_no", "").strip()[:24]:
        filters["order_no"] = order_no
    for name, parse in (("phone", mobile), ("leader_id", positive_int), ("date_from", day), ("date_to", day)):
        raw = args.get(name, "").strip()
        if raw:
            value = parse(raw)
            if value is None:
                bad.append(name)
            else:
                filters[name] = value
    return filters, bad


def masked(phone: str | None) -> str:
    return mask_phone(phone) if phone else "–"


STATUS_WORDS = {
    "pending_payment": ("待支付", "Awaiting payment"),
    "paid": ("已支付", "Paid"),
    "confirmed": ("已确认", "Confirmed"),
    "stocking": ("备货中", "Stocking"),
    "shipped": ("已发货", "Shipped"),
    "ready_for_pickup": ("待提货", "Ready for pickup"),
    "out_for_delivery": ("配送中", "Out for delivery"),
    "picked_up": ("已提货", "Picked up"),
    "delivered": ("已送达", "Delivered"),
    "completed": ("已完成", "Completed"),
    "refunding": ("退款中", "Refunding"),
    "refunded": ("已退款", "Refunded"),
    "cancelled": ("已取消", "Cancelled"),
    "active": ("正常", "Active"),
    "suspended": ("已停用", "Suspended"),
    "closed": ("已注销", "Closed"),
}


ACTOR_WORDS = {
    "shopper": ("顾客", "shopper"),
    "leader": ("团长", "leader"),
    "platform": ("平台", "platform"),
    "system": ("系统", "system"),
}


def actor_word(actor: str) -> str:
    pair = ACTOR_WORDS.get(actor)
    return t(*pair) if pair else actor


def status_word(status: object) -> str:
    value = getattr(status, "value", status)
    pair = STATUS_WORDS.get(str(value))
    return t(*pair) if pair else str(value)


def masked_text(text: str | None) -> str:
    return mask_mobiles_in_text(text) if text else ""


def masked_json(value: object) -> str:
    """An audit entry's before/after in one line, mobile numbers masked."""
    if value is None:
        return "–"
    return mask_mobiles_in_text(json.dumps(value, ensure_ascii=False, sort_keys=True))


def page_url(number: int) -> str:
    """This page's address with the same query and another page number."""
    args = request.args.to_dict()
    args["page"] = str(number)
    return f"{request.path}?{urlencode(args)}"


def console_helpers() -> dict[str, Any]:
    return {
        "masked": masked,
        "masked_json": masked_json,
        "masked_text": masked_text,
        "status_word": status_word,
        "actor_word": actor_word,
        "page_url": page_url,
    }
