"""Every /cs/ door: shoppers and leaders get 403 on each, and each write action leaves an audit entry with its
before and after. Both walk the app's url map, so a CS route added later is covered (a write route without a
recipe below fails the test until it gets one)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groupbuy import clock
from groupbuy.accounts.enums import UserStatus
from groupbuy.audit.models import AuditEntry
from groupbuy.db import db
from groupbuy.reviews.service import post_reviews
from tests.cs.conftest import World, received_dispute
from tests.factories.accounts import make_user
from tests.factories.reviews import completed_order

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
Recipe = Callable[[World], tuple[str, dict[str, Any]]]  # the concrete path and the JSON body


def _cs_rules(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/cs/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    )


def _fill(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?[a-z_]+>", "1", rule)


def _suspended_user(world: World) -> int:
    with world.app.app_context():
        return make_user(status=UserStatus.SUSPENDED).id


def _dispute(world: World) -> int:
    return received_dispute(world)[1]


def _review(world: World) -> int:
    """A shopper's review of a completed order (groupbuy/reviews), for CS to hide."""
    with world.app.app_context():
        bought = completed_order()
        item = {"order_item_id": bought.line_ids[0], "rating": 1, "content": "广告"}
        reviews, _ = post_reviews(
            user_id=bought.buyer_id, order_id=bought.order_id, items=[item], leader_rating=None, now=clock.now()
        )
        return reviews[0].id


RECIPES: dict[str, Recipe] = {
    "/api/v1/cs/disputes/<int:dispute_id>/resolve": lambda w: (
        f"/api/v1/cs/disputes/{_dispute(w)}/resolve",
        {"decision": "refund", "refund_fen": 500, "responsibility": "leader", "note": "部分退款"},
    ),
    "/api/v1/cs/orders/<int:order_id>/goodwill-refund": lambda w: (
        f"/api/v1/cs/orders/{w.order_id}/goodwill-refund",
        {"lines": [{"order_item_id": w.line_id, "quantity": 1}], "reason": "补偿"},
    ),
    "/api/v1/cs/accounts/<int:user_id>/suspend": lambda w: (
        f"/api/v1/cs/accounts/{w.shopper.id}/suspend",
        {"reason": "刷单"},
    ),
    "/api/v1/cs/members/<int:user_id>/tier": lambda w: (
        f"/api/v1/cs/members/{w.shopper.id}/tier",
        {"tier": "enterprise", "reason": "大客户"},
    ),
    "/api/v1/cs/accounts/<int:user_id>/reinstate": lambda w: (
        f"/api/v1/cs/accounts/{_suspended_user(w)}/reinstate",
        {"reason": "申诉通过"},
    ),
    "/api/v1/cs/reviews/<int:review_id>/hide": lambda w: (f"/api/v1/cs/reviews/{_review(w)}/hide", {"reason": "广告"}),
}


def test_shoppers_and_leaders_get_403_on_every_cs_route(app: Flask, client: FlaskClient, world: World) -> None:
    rules = _cs_rules(app)
    assert len(rules) >= 6
    for headers in (world.shopper_headers, world.leader_headers):
        for rule, method in rules:
            answer = client.open(_fill(rule), method=method, json={}, headers=world.key(headers))
            assert answer.status_code == 403, (rule, method, answer.status_code)


def test_every_cs_write_route_leaves_an_audit_entry(app: Flask, client: FlaskClient, world: World) -> None:
    writes = [(rule, method) for rule, method in _cs_rules(app) if method in WRITES]
    assert set(RECIPES) >= {rule for rule, _ in writes}, "give each CS write route a recipe here"
    for rule, method in writes:
        path, body = RECIPES[rule](world)
        with app.app_context():
            last = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
        answer = client.open(path, method=method, json=body, headers=world.key(world.cs))
        assert answer.status_code < 300, (rule, answer.status_code, answer.json)
        with app.app_context():
            entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > last)).all()
        assert entries, f"{method} {rule} wrote no audit entry"
        for entry in entries:
            assert entry.actor_id == world.cs_id, rule
            assert entry.before is not None and entry.after is not None, rule
            assert entry.before != entry.after, rule


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_no_route_changes_or_deletes_audit_entries(app: Flask, method: str) -> None:
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert audit_rules
    assert all(method not in (r.methods or set()) for r in audit_rules)
