"""HTTP caching of public reads: ETag and 304 on If-None-Match, a new ETag when what a shopper sees changes,
public Cache-Control for anonymous answers and private for a signed-in caller's personal answer."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.catalog.enums import DealStatus
from groupbuy.db import db
from groupbuy.groups.service import join_group
from groupbuy.leaders.models import Leader
from tests.conftest import tune
from tests.factories.market import T0, Shop

PRIVATE = "private, max-age=0, must-revalidate"


def _revalidates(client: FlaskClient, url: str, **headers: str) -> str:
    """The answer has an ETag and a matching If-None-Match gets an empty 304; returns the ETag."""
    first = client.get(url, headers=headers)
    assert first.status_code == 200, first.json
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    stale = client.get(url, headers={**headers, "If-None-Match": '"not-it"'})
    assert stale.status_code == 200 and stale.data == first.data
    return etag


def test_anonymous_deal_reads_are_public_and_revalidate(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal(price_fen=990)
    tune(app, public_cache_max_age_seconds=7)
    with clock.frozen(T0):
        for url in ("/api/v1/deals", f"/api/v1/deals/{deal}"):
            _revalidates(client, url)
            answer = client.get(url)
            assert answer.headers["Cache-Control"] == "public, max-age=7"
            assert {"Authorization", "Accept-Language"} <= set(answer.vary)


def test_a_price_or_status_change_gives_a_new_etag(shop: Shop, client: FlaskClient) -> None:
    deal = shop.deal(price_fen=990)
    with clock.frozen(T0):
        page_before = _revalidates(client, "/api/v1/deals")
        before = _revalidates(client, f"/api/v1/deals/{deal}")
        shop.set_deal(deal, group_price_fen=890)
        repriced = client.get(f"/api/v1/deals/{deal}", headers={"If-None-Match": before})
        assert repriced.status_code == 200 and repriced.json["group_price_fen"] == 890
        assert repriced.headers["ETag"] != before
        page_after = client.get("/api/v1/deals", headers={"If-None-Match": page_before})
        assert page_after.status_code == 200 and page_after.headers["ETag"] != page_before
        shop.set_deal(deal, status=DealStatus.CANCELLED)
        cancelled = client.get(f"/api/v1/deals/{deal}", headers={"If-None-Match": repriced.headers["ETag"]})
        assert cancelled.status_code == 200 and cancelled.headers["ETag"] not in (before, repriced.headers["ETag"])


def test_a_signed_in_callers_deal_answer_is_never_public(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    shopper = shop.auth(shop.shopper())
    with clock.frozen(T0):
        client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=shop.leader_auth())
        for url in ("/api/v1/deals", f"/api/v1/deals/{deal}"):
            etag = _revalidates(client, url, **shopper)
            mine = client.get(url, headers=shopper)
            assert mine.headers["Cache-Control"] == PRIVATE
            assert "public" not in mine.headers["Cache-Control"]
            assert "Authorization" in mine.vary
            anonymous = client.get(url)
            assert anonymous.headers["Cache-Control"].startswith("public")
            # The personal answer (with the caller's group) and the anonymous one are different representations.
            assert anonymous.headers["ETag"] != etag
        assert client.get(f"/api/v1/deals/{deal}", headers=shopper).json["group"] is not None


def test_the_group_read_revalidates_and_changes_with_progress(shop: Shop, client: FlaskClient, app: Flask) -> None:
    deal = shop.deal()
    with clock.frozen(T0):
        group_id = client.post("/api/v1/leader/groups", json={"deal_id": deal}, headers=shop.leader_auth()).json["id"]
        url = f"/api/v1/groups/{group_id}"
        etag = _revalidates(client, url)
        assert client.get(url).headers["Cache-Control"].startswith("public, max-age=")
        with app.app_context():
            join_group(leader_id=shop.leader_id, deal_id=deal, quantity=2, now=T0)  # a neighbour ordered
        changed = client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_leader_reads_revalidate(shop: Shop, client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        leader = db.session.get_one(Leader, shop.leader_id)
        lat, lng = leader.lat, leader.lng
    _revalidates(client, f"/api/v1/leaders/{shop.leader_id}")
    nearby = f"/api/v1/leaders?lat={lat}&lng={lng}"
    _revalidates(client, nearby)
    assert client.get(nearby).headers["Cache-Control"].startswith("public")


def test_errors_and_writes_get_no_etag(shop: Shop, client: FlaskClient) -> None:
    missing = client.get("/api/v1/deals/999999")
    assert missing.status_code == 404 and "ETag" not in missing.headers
    assert "public" not in missing.headers.get("Cache-Control", "")
