"""A shopper, their leader (the Shop's) and customer service, talking through the HTTP doors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.accounts.models import User
from tests.factories.accounts import bearer, make_user
from tests.factories.market import T0, Shop

NOW = T0 + timedelta(hours=1)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    """Every messaging test at NOW (the Shop's tokens and deals live around T0); tests move it with advance()."""
    with clock.frozen(NOW):
        yield


def cs_headers(app: Flask, **fields: Any) -> dict[str, str]:
    """A fresh cs user's bearer headers."""
    with app.app_context():
        return bearer(make_user(Role.CS, **fields))


def shopper_headers(shop: Shop) -> tuple[User, dict[str, str]]:
    """A shopper who chose the Shop's leader, and their headers."""
    user = shop.shopper()
    return user, shop.auth(user)


def open_with_leader(client: FlaskClient, shop: Shop, headers: dict[str, str], text: str | None = "在吗？") -> int:
    body: dict[str, Any] = {"kind": "leader", "leader_id": shop.leader_id}
    if text:
        body["text"] = text
    answer = client.post("/api/v1/conversations", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.json
    return int(answer.json["id"])


def say(client: FlaskClient, conversation_id: int, headers: dict[str, str], text: str, **more: Any) -> Any:
    answer = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"text": text, **more}, headers=headers
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def conversations(client: FlaskClient, headers: dict[str, str], **query: Any) -> Any:
    answer = client.get("/api/v1/conversations", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def start(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    """POST /conversations with ``body`` (the raw answer)."""
    return client.post("/api/v1/conversations", json=body, headers=headers)
