"""Who hears of an after-sale step, read through each person's inbox: the leader of a new request, the shopper of
the leader's rejection and of customer service's decision; a replayed step tells no one twice."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.aftersales.conftest import act, ask, line_ids, received_order
from tests.factories.market import Shop


def _inbox(client: FlaskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/me/notifications?page=1&page_size=50", headers=headers)
    assert answer.status_code == 200, answer.json
    return [item for item in answer.json["items"] if item["kind"] != "order_paid"]


def test_the_leader_hears_of_a_request_and_the_shopper_of_each_answer(
    shop: Shop, app: Flask, client: FlaskClient, leader: dict[str, str], cs: dict[str, str]
) -> None:
    user = shop.shopper()
    order_id = received_order(app, user, {shop.deal(price_fen=1000): 2})
    (line,) = line_ids(app, order_id)
    before = {item["id"] for item in _inbox(client, leader)}
    request_id = ask(client, shop.key(user), order_id, [{"order_item_id": line}], 600).json["id"]
    told = [item for item in _inbox(client, leader) if item["id"] not in before]
    assert [item["kind"] for item in told] == ["leader_aftersale_requested"]
    assert "质量问题" in told[0]["body"]

    assert act(client, leader, f"/leader/after-sales/{request_id}/reject", reason="看起来没问题").status_code == 200
    (rejected,) = [item for item in _inbox(client, shop.auth(user)) if item["kind"] == "aftersale_answered"]
    assert "看起来没问题" in rejected["body"] and "平台介入" in rejected["body"]

    dispute_id = act(client, shop.auth(user), f"/after-sales/{request_id}/escalate", statement="坏了").json["id"]
    decision = {"decision": "refund", "refund_fen": 500, "responsibility": "platform", "note": "部分退款"}
    assert act(client, cs, f"/cs/disputes/{dispute_id}/resolve", **decision).status_code == 200
    assert act(client, cs, f"/cs/disputes/{dispute_id}/resolve", **decision).status_code == 409
    resolved = [item for item in _inbox(client, shop.auth(user)) if item["kind"] == "dispute_resolved"]
    assert len(resolved) == 1 and "¥5.00" in resolved[0]["body"]
