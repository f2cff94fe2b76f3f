"""A small CS world: a CS agent, an admin, a shopper with a paid order of two units, a leader."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from groupbuy.aftersales.enums import AfterSaleReason, AfterSaleType
from groupbuy.aftersales.service import escalate_request, open_request, reject_request
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from groupbuy.orders.models import Order
from tests.aftersales.conftest import SOON, received_order
from tests.factories.accounts import bearer, make_user
from tests.factories.market import Shop
from tests.jobs.conftest import pay, place

_keys = itertools.count()


@dataclass
class World:
    app: Flask
    shop: Shop
    cs: dict[str, str]
    cs_id: int
    admin: dict[str, str]
    shopper: User
    shopper_headers: dict[str, str]
    leader_headers: dict[str, str]
    leader_user_id: int
    order_id: int
    line_id: int
    order_no: str

    def key(self, headers: dict[str, str]) -> dict[str, str]:
        return {**headers, "Idempotency-Key": f"cs-{next(_keys)}"}


def audit_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(AuditEntry.id))) or 0)


@pytest.fixture
def world(app: Flask, shop: Shop) -> World:
    return build_world(app, shop)


def build_world(app: Flask, shop: Shop) -> World:
    """The CS agent is the demo's phone (13800000002), so the page tests log in as the demo does."""
    deal_id = shop.deal(price_fen=1000)
    shopper = shop.shopper()
    order_id = place(app, shopper, deal_id, 2)
    pay(app, order_id)
    with app.app_context():
        cs = make_user(Role.CS, phone="13800000002")
        admin = make_user(Role.ADMIN)
        order = db.session.get_one(Order, order_id)
        leader_user = db.session.get_one(User, db.session.get_one(Leader, shop.leader_id).user_id)
        return World(
            app=app,
            shop=shop,
            cs=bearer(cs),
            cs_id=cs.id,
            admin=bearer(admin),
            shopper=shopper,
            shopper_headers=bearer(db.session.get_one(User, shopper.id)),
            leader_headers=bearer(leader_user),
            leader_user_id=leader_user.id,
            order_id=order_id,
            line_id=order.lines[0].id,
            order_no=order.order_no,
        )


def escalated_dispute(app: Flask, order_id: int, *, amount_fen: int, now: datetime) -> int:
    """A refund-only request on every line of a received order, rejected by its leader and escalated by the
    shopper, through the after-sale services: the dispute's id."""
    with app.app_context():
        order = db.session.get_one(Order, order_id)
        leader_user_id = db.session.get_one(Leader, order.leader_id).user_id
        request = open_request(
            user_id=order.user_id,
            order_id=order_id,
            type=AfterSaleType.REFUND_ONLY,
            items=[{"order_item_id": line.id} for line in order.lines],
            reason=AfterSaleReason.QUALITY,
            amount_fen=amount_fen,
            description="收到的水果有一半坏了",
            now=now,
        )
        reject_request(user_id=leader_user_id, request_id=request.id, reason="取货时检查过，没有问题", now=now)
        dispute = escalate_request(
            user_id=order.user_id, request_id=request.id, statement="团长拒绝，请平台处理", now=now
        )
        return dispute.id


def received_dispute(world: World, *, price_fen: int = 1000, quantity: int = 2) -> tuple[int, int]:
    """A new received order of the world's shop (paid with a sandbox payment, picked up) taken to a dispute by
    its shopper for the whole price: (order id, dispute id)."""
    deal_id = world.shop.deal(price_fen=price_fen)
    order_id = received_order(world.app, world.shop.shopper(), {deal_id: quantity})
    return order_id, escalated_dispute(world.app, order_id, amount_fen=price_fen * quantity, now=SOON)
