"""GET /leader/groups: my own groups, open first by cutoff, with progress to the threshold and a countdown."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from groupbuy import clock
from tests.factories.desk import Desk
from tests.factories.market import T0, Shop


def test_a_leader_sees_own_groups_with_progress_and_countdown(shop: Shop, desk: Desk, client: FlaskClient) -> None:
    soon, later = shop.deal(min_group_quantity=4), shop.deal(min_group_quantity=2)
    shop.set_deal(soon, cutoff_at=T0 + timedelta(hours=2))
    desk.paid_order(shop.shopper(), soon, 3)
    desk.paid_order(shop.shopper(), later, 5)
    other = desk.other_leader()
    desk.paid_order(other.shopper, soon)
    with clock.frozen(T0 + timedelta(hours=1)):
        mine = client.get("/api/v1/leader/groups", headers=desk.headers).json
        theirs = client.get("/api/v1/leader/groups", headers=other.headers).json
        failed = client.get("/api/v1/leader/groups?status=failed", headers=desk.headers).json
    assert mine["total"] == 2 and theirs["total"] == 1 and failed["total"] == 0
    first, second = mine["items"]
    assert first["deal"]["id"] == soon  # the soonest cutoff first
    assert (first["units_paid"], first["threshold"], first["units_to_go"], first["progress_bp"]) == (3, 4, 1, 7500)
    assert first["seconds_to_cutoff"] == 3600
    assert (second["units_to_go"], second["progress_bp"]) == (0, 10_000)  # past the threshold: capped
    assert first["share_url"].endswith(f"/groups/{first['id']}")
    assert {g["id"] for g in theirs["items"]}.isdisjoint({first["id"], second["id"]})


def test_closed_groups_come_after_open_ones_without_countdown(shop: Shop, desk: Desk, client: FlaskClient) -> None:
    deal = shop.deal(min_group_quantity=2)
    desk.paid_order(shop.shopper(), deal)
    desk.close_groups()
    with clock.frozen(shop.cutoff + timedelta(hours=1)):
        listed = client.get("/api/v1/leader/groups?status=failed", headers=desk.headers).json
        shopper = client.get("/api/v1/leader/groups", headers=shop.auth(shop.shopper()))
    (group,) = listed["items"]
    assert group["status"] == "failed" and group["seconds_to_cutoff"] == 0 and group["closed_at"] is not None
    assert shopper.status_code == 403
