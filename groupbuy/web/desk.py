"""The leader's counter work from the workbench: verifying pickup codes and the pick list, through the services
of the leader API (the same rules, refusals and throttles as the API doors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from groupbuy.leaders.models import Leader
from groupbuy.web.format import t


@dataclass(frozen=True)
class PickupOutcome:
    status: int  # 200 verified, 404 unknown code, 409 already picked up / not ready, 429 throttled
    tone: str  # ok | warn | bad (the page's colour)
    message: str


def verify_pickup(*, leader: Leader, code: str, now: datetime) -> PickupOutcome:
    """A pickup code of one of the leader's orders → picked up."""
    message = t("核销服务尚未开放", "Pickup verification is not available yet")
    return PickupOutcome(status=503, tone="bad", message=message)
