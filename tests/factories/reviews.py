"""Completed orders ready to review, and upload ids of their buyers' photos."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import update

from groupbuy.accounts.models import User
from groupbuy.catalog.models import Deal
from groupbuy.db import db, transaction
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order, OrderLine
from tests.factories.accounts import bearer, make_user
from tests.factories.catalog import DealFactory
from tests.factories.leaders import LeaderFactory
from tests.factories.orders import OrderFactory, group_of
from tests.uploads.images import image_bytes


@dataclass
class Bought:
    order_id: int
    line_ids: list[int]
    buyer_id: int
    leader_id: int
    deal_ids: list[int]
    app: Flask

    @property
    def headers(self) -> dict[str, str]:
        """A fresh token of the buyer, issued at the clock's now (tests move the clock months ahead)."""
        with self.app.app_context():
            return bearer(db.session.get_one(User, self.buyer_id))


def completed_order(
    *,
    buyer: User | None = None,
    leader_id: int | None = None,
    deals: list[Deal] | None = None,
    status: OrderStatus = OrderStatus.COMPLETED,
    refunded_fen: int = 0,
    nickname: str = "王小明",
) -> Bought:
    """An order of ``buyer`` (a new one by default) through ``leader_id``, one line per deal, in ``status``
    (completed by default); with ``refunded_fen`` a refund was granted on its first line."""
    buyer = buyer or make_user(nickname=nickname)
    leader_id = leader_id or LeaderFactory().id
    deals = deals or [DealFactory()]
    order = OrderFactory(paid=True, deal=deals[0], user_id=buyer.id, leader_id=leader_id)
    groups = {deal.id: group_of(leader_id=leader_id, deal_id=deal.id).id for deal in deals[1:]}
    with transaction():
        for deal in deals[1:]:
            db.session.add(
                OrderLine(
                    order_id=order.id,
                    deal_id=deal.id,
                    group_id=groups[deal.id],
                    product_name=deal.sku.product.name,
                    spec=deal.sku.spec,
                    unit_price_fen=deal.group_price_fen,
                    quantity=1,
                    line_total_fen=deal.group_price_fen,
                    pickup_date=deal.pickup_date,
                )
            )
        values: dict[str, Any] = {"status": status}
        if refunded_fen:
            values |= {"refund_due_fen": refunded_fen, "refunded_fen": refunded_fen}
            first = order.lines[0]
            db.session.execute(update(OrderLine).where(OrderLine.id == first.id).values(refunded_fen=refunded_fen))
        db.session.execute(update(Order).where(Order.id == order.id).values(**values))
    db.session.expire_all()
    line_ids = [line.id for line in sorted(db.session.get_one(Order, order.id).lines, key=lambda line: line.id)]
    return Bought(
        order_id=order.id,
        line_ids=line_ids,
        buyer_id=buyer.id,
        leader_id=leader_id,
        deal_ids=[deal.id for deal in deals],
        app=current_app._get_current_object(),  # type: ignore[attr-defined]  # the app behind the proxy
    )


def photo_ids(client: FlaskClient, headers: dict[str, str], count: int) -> list[int]:
    """``count`` photos uploaded by the caller (different pictures)."""
    ids = []
    for n in range(count):
        response = client.post(
            "/api/v1/uploads",
            headers=headers,
            data={"file": (io.BytesIO(image_bytes(color=f"#{n * 20 % 256:02x}40a0")), "p.jpg")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


def review(client: FlaskClient, bought: Bought, items: list[dict[str, Any]], leader_rating: int | None = 5) -> Any:
    body: dict[str, Any] = {"items": items}
    if leader_rating is not None:
        body["leader_rating"] = leader_rating
    return client.post(f"/api/v1/orders/{bought.order_id}/reviews", json=body, headers=bought.headers)
