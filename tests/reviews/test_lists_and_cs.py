"""The public lists (paging, stars, with photos, names masked) and CS moderation (role, audit, hidden reviews
leave the lists and the ratings, credit taken back)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.audit.models import AuditEntry
from groupbuy.catalog.models import Deal
from groupbuy.db import db
from groupbuy.leaders.models import Leader
from tests.factories.accounts import bearer, make_user
from tests.factories.catalog import DealFactory
from tests.factories.leaders import LeaderFactory
from tests.factories.market import T0
from tests.factories.reviews import completed_order, photo_ids, review


def _world(app: Flask, client: FlaskClient) -> tuple[int, int, list[int]]:
    """One deal, one leader, five buyers' reviews (stars 5, 4, 3, 2, 1; the 5 and the 2 with photos)."""
    with app.app_context(), clock.frozen(T0):
        leader_id = LeaderFactory().id
        deal = DealFactory()
    review_ids = []
    for stars in (5, 4, 3, 2, 1):
        with app.app_context(), clock.frozen(T0):
            bought = completed_order(leader_id=leader_id, deals=[db.session.get_one(Deal, deal.id)], nickname="王小明")
        with clock.frozen(T0):
            images = photo_ids(client, bought.headers, 2) if stars in (5, 2) else []
            item = {"order_item_id": bought.line_ids[0], "rating": stars, "content": f"{stars} 星", "images": images}
            response = review(client, bought, [item], leader_rating=stars)
        assert response.status_code == 201, response.get_json()
        review_ids.append(response.get_json()["reviews"][0]["id"])
    return deal.id, leader_id, review_ids


def test_lists_page_filter_and_mask(app: Flask, client: FlaskClient) -> None:
    deal_id, leader_id, ids = _world(app, client)
    page = client.get(f"/api/v1/deals/{deal_id}/reviews", query_string={"page_size": 2}).get_json()
    assert page["total"] == 5 and len(page["items"]) == 2 and page["rating_count"] == 5 and page["rating_bp"] == 4000
    assert [item["id"] for item in page["items"]] == [ids[4], ids[3]]  # newest first (ids break the tie)
    assert page["items"][0]["reviewer"] == "王**" and "王小明" not in str(page)
    second = client.get(f"/api/v1/deals/{deal_id}/reviews", query_string={"page_size": 2, "page": 3}).get_json()
    assert [item["id"] for item in second["items"]] == [ids[0]]
    fives = client.get(f"/api/v1/deals/{deal_id}/reviews", query_string={"rating": 5}).get_json()
    assert [item["id"] for item in fives["items"]] == [ids[0]] and fives["items"][0]["leader_rating"] == 5
    photos = client.get(f"/api/v1/leaders/{leader_id}/reviews", query_string={"with_photos": "true"}).get_json()
    assert {item["id"] for item in photos["items"]} == {ids[0], ids[3]}
    assert all(len(item["images"]) == 2 for item in photos["items"])
    assert client.get("/api/v1/deals/999999/reviews").status_code == 404
    assert client.get("/api/v1/leaders/999999/reviews").status_code == 404
    assert client.get(f"/api/v1/deals/{deal_id}/reviews", query_string={"rating": 6}).status_code == 422


def test_cs_hides_a_review_audited_and_it_leaves_lists_ratings_and_credit(app: Flask, client: FlaskClient) -> None:
    deal_id, leader_id, ids = _world(app, client)
    with app.app_context():
        cs = make_user(Role.CS)
        cs_headers, shopper = bearer(cs), bearer(make_user())
        leader = db.session.get_one(Leader, leader_id)
        assert (leader.rating_bp, leader.rating_count, leader.credit_score) == (4000, 5, 0)  # +2 +2 0 -2 -2
    reason = {"reason": "辱骂他人"}
    assert client.post(f"/api/v1/cs/reviews/{ids[4]}/hide", json=reason, headers=shopper).status_code == 403
    assert client.get("/api/v1/cs/reviews", headers=shopper).status_code == 403
    hidden = client.post(f"/api/v1/cs/reviews/{ids[4]}/hide", json=reason, headers=cs_headers)
    assert hidden.status_code == 200, hidden.get_json()
    assert hidden.get_json()["hidden_reason"] == "辱骂他人" and hidden.get_json()["hidden_at"]
    again = client.post(f"/api/v1/cs/reviews/{ids[4]}/hide", json=reason, headers=cs_headers)
    assert again.status_code == 409 and again.get_json()["code"] == "review_already_hidden"
    assert client.post("/api/v1/cs/reviews/999999/hide", json=reason, headers=cs_headers).status_code == 404
    public = client.get(f"/api/v1/deals/{deal_id}/reviews").get_json()
    assert ids[4] not in [item["id"] for item in public["items"]] and public["total"] == 4
    assert public["rating_count"] == 4 and public["rating_bp"] == 5000
    with app.app_context():
        leader = db.session.get_one(Leader, leader_id)
        assert (leader.rating_bp, leader.rating_count, leader.credit_score) == (5000, 4, 2)  # the -2 taken back
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "review.hide", AuditEntry.object_id == ids[4])
        ).one()
        assert entry.actor_id == cs.id and entry.reason == "辱骂他人"
        assert entry.before == {"hidden": False, "leader_rating_hidden": False} and entry.after["hidden"] is True
    listed = client.get("/api/v1/cs/reviews", query_string={"hidden": "true"}, headers=cs_headers).get_json()
    assert [item["id"] for item in listed["items"]] == [ids[4]]
    visible = client.get("/api/v1/cs/reviews", query_string={"hidden": "false"}, headers=cs_headers).get_json()
    assert [item["id"] for item in visible["items"]] == list(reversed(ids[:4]))  # newest first
