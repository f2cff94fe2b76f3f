"""A shopper tapping "contact" on several devices at once still has one conversation (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from groupbuy.db import db
from groupbuy.messaging.models import Conversation, Message
from tests.factories.market import Shop
from tests.messaging.conftest import shopper_headers


@pytest.mark.pg
def test_concurrent_opens_make_one_conversation(app: Flask, busy_app: Flask, shop: Shop) -> None:
    _, headers = shopper_headers(shop)
    barrier = threading.Barrier(8)
    answers: list[tuple[int, int]] = []

    def open_it(n: int) -> None:
        client = busy_app.test_client()
        barrier.wait()
        body = {"kind": "leader", "leader_id": shop.leader_id, "text": f"在吗 {n}"}
        answer = client.post("/api/v1/conversations", json=body, headers=headers)
        answers.append((answer.status_code, (answer.get_json() or {}).get("id", 0)))

    threads = [threading.Thread(target=open_it, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len({conversation_id for _, conversation_id in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation)) == 1
        assert db.session.scalar(select(func.count()).select_from(Message)) == 8  # every first message kept
