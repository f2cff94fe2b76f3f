"""Groups: idempotent open (also under concurrency), the page, share QR codes, closing decisions."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET

import png
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.common.qr import qr_matrix
from groupbuy.db import db
from groupbuy.groups.enums import GroupStatus
from groupbuy.groups.models import Group, GroupEvent
from groupbuy.groups.service import cancel_group, close_group, count_paid_units, join_group
from tests.factories.market import T0, Shop
from tests.rows import unchanged


def test_open_is_idempotent(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    headers = shop.leader_auth()
    with clock.frozen(T0):
        first = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=headers)
        again = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]
    body = first.json
    assert body["status"] == "open" and body["threshold"] == 1 and body["units_ordered"] == 0
    assert body["share_url"].endswith(f"/groups/{body['id']}")
    assert body["qr_url"] == f"http://testserver/api/v1/groups/{body['id']}/qr.png"
    assert body["leader"]["id"] == shop.leader_id and body["deal"]["id"] == deal


def test_only_leaders_open_groups_and_only_while_on_sale(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    shopper = shop.auth(shop.shopper())
    leader = shop.leader_auth()
    with unchanged(app, Group, GroupEvent):
        with clock.frozen(T0):
            assert client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=shopper).status_code == 403
        with clock.frozen(shop.cutoff):
            late = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=leader)
    assert late.status_code == 409 and late.json["code"] == "deal_closed"


def test_group_page_is_public_and_unknown_is_404(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    with clock.frozen(T0):
        group_id = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=shop.leader_auth()).json["id"]
    assert client.get(f"/api/v1/groups/{group_id}").status_code == 200
    assert client.get("/api/v1/groups/999999").status_code == 404
    assert client.get("/api/v1/groups/999999/qr.png").status_code == 404


def test_qr_codes_encode_the_share_url(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    with clock.frozen(T0):
        group = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=shop.leader_auth()).json
    png_response = client.get(group["qr_url"])
    assert png_response.status_code == 200 and png_response.mimetype == "image/png"
    assert png_response.headers["Cache-Control"].startswith("public, max-age")
    assert png_response.headers["ETag"]
    width, height, rows, _ = png.Reader(bytes=png_response.data).read()
    pixels = [list(row) for row in rows]
    matrix = qr_matrix(group["share_url"])
    scale = width // len(matrix)
    assert width == height == scale * len(matrix)
    decoded = [
        [pixels[y * scale + scale // 2][x * scale + scale // 2] == 0 for x in range(len(matrix))]
        for y in range(len(matrix))
    ]
    assert decoded == matrix  # the PNG draws exactly the QR matrix of the share URL
    svg = client.get(f"/api/v1/groups/{group['id']}/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert ET.fromstring(svg.data).tag.endswith("svg")
    cached = client.get(group["qr_url"], headers={"If-None-Match": png_response.headers["ETag"]})
    assert cached.status_code == 304


def test_close_decides_by_paid_units_and_happens_once(shop: Shop, app: Flask) -> None:
    deal_ok, deal_short = shop.deal(min_group_quantity=3), shop.deal(min_group_quantity=3)
    with app.app_context(), clock.frozen(T0):
        from groupbuy.groups.enums import GroupOpenedBy
        from groupbuy.groups.service import open_group

        ok, _ = open_group(leader_id=shop.leader_id, deal_id=deal_ok, opened_by=GroupOpenedBy.LEADER, now=T0)
        short, _ = open_group(leader_id=shop.leader_id, deal_id=deal_short, opened_by=GroupOpenedBy.LEADER, now=T0)
        for group, paid in ((ok, 3), (short, 2)):
            assert join_group(leader_id=shop.leader_id, deal_id=group.deal_id, quantity=5, now=T0) == group.id
            assert count_paid_units(group_id=group.id, quantity=paid)
        assert close_group(group_id=ok.id, now=shop.cutoff) is GroupStatus.SUCCEEDED
        assert close_group(group_id=short.id, now=shop.cutoff) is GroupStatus.FAILED
        assert close_group(group_id=ok.id, now=shop.cutoff) is None
        assert cancel_group(group_id=ok.id, actor="admin", reason="x", now=shop.cutoff) is None
        assert not count_paid_units(group_id=ok.id, quantity=1)
        events = db.session.scalars(select(GroupEvent).order_by(GroupEvent.id)).all()
        assert [(e.group_id, e.to_status, e.units_paid) for e in events] == [
            (ok.id, GroupStatus.SUCCEEDED, 3),
            (short.id, GroupStatus.FAILED, 2),
        ]


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_opens_make_one_group(shop: Shop, app: Flask, round_: int) -> None:
    deal = shop.deal()
    headers = shop.leader_auth()
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def open_it() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=headers).status_code)

    with clock.frozen(T0):
        threads = [threading.Thread(target=open_it) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(statuses) == [200] * 11 + [201]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Group)) == 1


def test_deal_list_shows_my_leaders_group_progress(shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal(min_group_quantity=5)
    buyer = shop.shopper()
    stranger = shop.shopper(with_leader=False)
    with clock.frozen(T0):
        before = client.get("/api/v1/deals", headers=shop.auth(buyer)).json["items"]
        assert [d["group"] for d in before if d["id"] == deal] == [None]
        client.post(
            "/api/v1/orders",
            json={"items": [{"deal_id": deal, "quantity": 2}], "fulfilment": "pickup"},
            headers=shop.key(buyer),
        )
        mine = client.get("/api/v1/deals", headers=shop.auth(buyer)).json["items"]
        detail = client.get(f"/api/v1/deals/{deal}", headers=shop.auth(buyer)).json
        anonymous = client.get(f"/api/v1/deals/{deal}").json
        no_leader = client.get(f"/api/v1/deals/{deal}", headers=shop.auth(stranger)).json
    group = next(d["group"] for d in mine if d["id"] == deal)
    assert (group["status"], group["units_ordered"], group["units_paid"]) == ("open", 2, 0)
    assert detail["group"] == group
    assert detail["min_group_quantity"] == 5
    assert anonymous["group"] is None
    assert no_leader["group"] is None


def test_a_suspended_leader_cannot_open_groups(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    headers = shop.leader_auth()
    with app.app_context():
        from groupbuy.leaders.service import suspend_leader
        from tests.factories.accounts import make_user

        suspend_leader(leader_id=shop.leader_id, actor_id=make_user(Role.CS).id, reason="投诉", now=T0)
    with clock.frozen(T0), unchanged(app, Group, GroupEvent):
        response = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=headers)
    assert response.status_code == 403
    assert response.json["code"] == "leader_suspended"
