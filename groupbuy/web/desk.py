"""The leader's counter from the workbench: a pickup code goes to the same service as POST /leader/pickups, so
the same rules hold (own orders only, one verification, wrong codes throttled per leader); the outcome is worded
for the page instead of problem+json."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from groupbuy.errors import Conflict, DomainError, NotFound
from groupbuy.flows.leader_desk import confirm_leader_orders
from groupbuy.i18n import localized, title_for
from groupbuy.leaders.models import Leader
from groupbuy.orders.enums import LineStatus
from groupbuy.orders.service import verify_pickup_code
from groupbuy.web.format import t
from groupbuy.web.today import order_ids_to_confirm

CODE = re.compile(r"\d{8}")


@dataclass(frozen=True)
class CounterOutcome:
    """What a counter action did, for the page (the pickup box, the confirm button)."""

    status: int  # 200 verified, 404 unknown code, 409 already picked up / not ready, 422 not 8 digits, 429 throttled
    tone: str  # ok | warn | bad (the page's colour)
    message: str
    headers: dict[str, str] = field(default_factory=dict)  # Retry-After of a 429


def confirm_waiting_orders(*, leader: Leader, now: datetime) -> CounterOutcome:
    """Confirm every order waiting for the leader (each in its own transaction, each shopper told)."""
    outcomes = confirm_leader_orders(
        user_id=leader.user_id, order_ids=order_ids_to_confirm(leader_id=leader.id), now=now
    )
    done = sum(1 for o in outcomes if o.ok)
    refused = len(outcomes) - done
    message = t(f"已确认 {done} 单", f"{done} orders confirmed")
    if refused:
        message += t(f"，{refused} 单未能确认（状态已变化）", f"; {refused} could not be (their state changed)")
    return CounterOutcome(200, "ok" if not refused else "warn", message)


def verify_pickup(*, leader: Leader, code: str, now: datetime) -> CounterOutcome:
    """A pickup code of one of the leader's orders → picked up; what happened, in the reader's language."""
    if not CODE.fullmatch(code):
        return CounterOutcome(422, "bad", t("请输入 8 位数字提货码", "Enter the 8-digit pickup code"))
    try:
        order = verify_pickup_code(user_id=leader.user_id, pickup_code=code, now=now)
    except NotFound:
        return CounterOutcome(
            404, "bad", t("没有找到这个提货码，请核对后重试", "No order of yours has this pickup code")
        )
    except Conflict as refusal:
        said = localized(refusal.detail) if refusal.detail else title_for(refusal.code, refusal.status)
        return CounterOutcome(409, "warn", said)
    except DomainError as refusal:  # 429: too many wrong codes in the window
        said = title_for(refusal.code, refusal.status, **refusal.params)
        return CounterOutcome(refusal.status, "bad", said, dict(refusal.headers))
    goods = "，".join(
        f"{line.product_name} × {line.quantity - line.refunded_quantity}"
        for line in order.lines
        if line.status is LineStatus.ACTIVE
    )
    return CounterOutcome(
        200, "ok", t(f"核销成功：订单 {order.order_no}，{goods}", f"Picked up: order {order.order_no}, {goods}")
    )
