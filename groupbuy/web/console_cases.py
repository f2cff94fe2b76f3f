"""The console's dispute pages: SLA badges, the decide form's reading (yuan typed, fen decided), evidence links."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from groupbuy.aftersales.enums import Decision, DisputeStatus, Responsibility
from groupbuy.aftersales.service import Case, QueueEntry
from groupbuy.uploads.service import upload_url, uploads_by_id
from groupbuy.web.format import t

DUE_SOON = timedelta(hours=8)  # an open dispute this close to its SLA is flagged "due soon"
YUAN = re.compile(r"^(\d{1,7})(?:\.(\d{1,2}))?$")


def sla_badges(entry: QueueEntry, now: datetime) -> list[tuple[str, str]]:
    """(css tone, words) for the queue and the case: priority, overdue or due soon, resolved."""
    dispute = entry.dispute
    badges = []
    if dispute.priority:
        badges.append(("info", t("优先", "Priority")))
    if dispute.status is DisputeStatus.RESOLVED:
        badges.append(("", t("已裁定", "Resolved")))
    elif entry.overdue:
        badges.append(("bad", t("已超时", "Overdue")))
    elif dispute.sla_due_at - now <= DUE_SOON:
        badges.append(("warn", t("即将超时", "Due soon")))
    return badges


def fen_of(raw: str) -> int | None:
    """¥ typed as 12, 12.5 or 12.50 → 1250 fen (integer arithmetic); None if it is not an amount."""
    found = YUAN.match(raw.strip().removeprefix("¥"))
    if not found:
        return None
    return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def decision_form(form: MultiDict[str, str]) -> dict[str, Any] | str:
    """The decide form as resolve_dispute's arguments, or what is wrong with it (in the reader's language)."""
    try:
        decision = Decision(form.get("decision", ""))
        responsibility = Responsibility(form.get("responsibility", ""))
    except ValueError:
        return t("请选择裁定结果和责任方", "Choose a decision and who is responsible")
    refund = fen_of(form.get("refund_yuan", "") or "0") if decision is Decision.REFUND else 0
    if refund is None or (decision is Decision.REFUND and refund < 1):
        return t("请填写退款金额（元），如 12.50", "Give the refund in yuan, e.g. 12.50")
    note = form.get("note", "").strip()[:1000] or None
    return {"decision": decision, "refund_fen": refund, "responsibility": responsibility, "note": note}


def evidence_urls(case: Case) -> dict[int, str]:
    """Upload id → its address, for every photo either side gave."""
    ids = {i for said in case.statements for i in (said.get("images") or [])}
    return {upload_id: upload_url(upload) for upload_id, upload in uploads_by_id(ids).items()}
