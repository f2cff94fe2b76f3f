"""The leader's desk: the Shop's leader signed in, a second leader with their own shopper, paid orders, the
closing job at the cutoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask

from groupbuy import clock
from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from tests.factories.accounts import bearer, make_user
from tests.factories.leaders import LeaderFactory
from tests.factories.market import T0, Shop
from tests.jobs.conftest import pay, place, run

PICKUP = date(2026, 11, 23)  # the pickup date of every Shop deal


@dataclass
class OtherLeader:
    leader_id: int
    headers: dict[str, str]
    shopper: User


class Desk:
    """The Shop's leader at their desk, and a second leader B on the same deals."""

    def __init__(self, app: Flask, shop: Shop) -> None:
        self.app, self.shop = app, shop
        with app.app_context():
            leader = db.session.get_one(Leader, shop.leader_id)
            self.leader_user_id = leader.user_id
            self.headers = bearer(db.session.get_one(User, leader.user_id))

    def other_leader(self) -> OtherLeader:
        with self.app.app_context(), clock.frozen(self.shop.starts):
            leader = LeaderFactory()
            headers = bearer(db.session.get_one(User, leader.user_id))
            shopper = make_user(current_leader_id=leader.id)
            db.session.expunge(shopper)
            return OtherLeader(leader_id=leader.id, headers=headers, shopper=shopper)

    def paid_order(self, user: User, deal_id: int, quantity: int = 1, **more: int) -> int:
        order_id = place(self.app, user, deal_id, quantity, **more)
        pay(self.app, order_id)
        return order_id

    def close_groups(self) -> None:
        """The closing job at the cutoff: groups succeed or fail, failed groups' lines are refunded."""
        run(self.app, "close_due_groups", self.shop.cutoff + timedelta(minutes=1))


__all__ = ["PICKUP", "T0", "Desk", "OtherLeader"]
