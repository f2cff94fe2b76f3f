"""Conversations through HTTP: who may open and read them, unread counts, paging, text rules, order links."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from groupbuy.accounts.models import User
from groupbuy.db import db, transaction
from groupbuy.messaging.models import Message
from tests.conftest import tune
from tests.factories.desk import Desk
from tests.factories.market import Shop
from tests.jobs.conftest import place
from tests.messaging.conftest import conversations, cs_headers, open_with_leader, say, shopper_headers


def test_a_shopper_and_their_leader_talk_and_see_each_other_by_name(
    client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    ann, headers = shopper_headers(shop)
    first = client.post(
        "/api/v1/conversations",
        json={"kind": "leader", "leader_id": shop.leader_id, "text": "明天几点到货？"},
        headers=headers,
    )
    assert first.status_code == 201 and first.json["counterpart_name"].startswith("团长")
    again = client.post("/api/v1/conversations", json={"kind": "leader", "leader_id": shop.leader_id}, headers=headers)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    conversation_id = first.json["id"]
    reply = say(client, conversation_id, desk.headers, "上午十点左右\n到了通知您")
    assert reply["sender"] == "leader" and reply["mine"] is True
    mine = conversations(client, desk.headers)
    assert [c["counterpart_name"] for c in mine["items"]] == [ann.nickname]
    assert mine["items"][0]["my_side"] == "staff" and mine["items"][0]["last_message"]["text"].startswith("上午十点")
    page = client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers).json
    assert [(m["sender"], m["mine"], m["text"]) for m in page["items"]] == [
        ("leader", False, "上午十点左右\n到了通知您"),
        ("shopper", True, "明天几点到货？"),
    ]


def test_only_participants_reach_a_conversation_anyone_else_gets_404(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann)
    _, bob = shopper_headers(shop)
    other_leader = desk.other_leader().headers
    cs = cs_headers(app)
    for headers in (bob, other_leader, cs):
        path = f"/api/v1/conversations/{conversation_id}/messages"
        assert client.get(path, headers=headers).status_code == 404
        assert client.post(path, json={"text": "hi"}, headers=headers).status_code == 404
        assert conversations(client, headers)["items"] == []
    assert client.get(f"/api/v1/conversations/{conversation_id}/messages").status_code == 401
    assert client.get("/api/v1/conversations/999999/messages", headers=ann).status_code == 404


def test_a_shopper_writes_only_to_a_leader_they_chose_or_ordered_from(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    stranger = desk.other_leader()
    _, ann = shopper_headers(shop)
    body = {"kind": "leader", "leader_id": stranger.leader_id, "text": "你好"}
    assert client.post("/api/v1/conversations", json=body, headers=ann).status_code == 404
    assert client.post("/api/v1/conversations", json={**body, "leader_id": 999999}, headers=ann).status_code == 404
    # The other leader's own shopper (who chose them) may.
    their = shop.auth(stranger.shopper)
    assert client.post("/api/v1/conversations", json=body, headers=their).status_code == 201
    # A leader cannot open a conversation with their own pickup point.
    own = client.post(
        "/api/v1/conversations", json={"kind": "leader", "leader_id": shop.leader_id}, headers=desk.headers
    )
    assert own.status_code == 422 and own.json["code"] == "cannot_message_yourself"


def test_a_shopper_who_ordered_from_a_leader_may_write_to_them_about_the_order(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    ann, headers = shopper_headers(shop)
    order_id = place(app, ann, shop.deal())
    with app.app_context(), transaction():  # chose nobody since: the order alone makes the leader theirs
        db.session.execute(update(User).where(User.id == ann.id).values(current_leader_id=None))
    opened = client.post(
        "/api/v1/conversations",
        json={"kind": "leader", "order_id": order_id, "text": "这单能改提货日吗"},
        headers=headers,
    )
    assert opened.status_code == 201 and opened.json["leader_id"] == shop.leader_id
    page = client.get(f"/api/v1/conversations/{opened.json['id']}/messages", headers=desk.headers).json
    assert page["items"][0]["order_id"] == order_id and page["items"][0]["order_no"]
    _, bob = shopper_headers(shop)
    bob_order = place(app, shop.shopper(), shop.deal())
    bobs = open_with_leader(client, shop, bob)
    refused = client.post(
        f"/api/v1/conversations/{bobs}/messages", json={"text": "x", "order_id": bob_order}, headers=bob
    )
    assert refused.status_code == 404  # someone else's order
    assert (
        client.post("/api/v1/conversations", json={"kind": "leader", "order_id": order_id}, headers=bob).status_code
        == 404
    )


def test_customer_service_answers_as_客服_any_cs_user_may(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    _, ann = shopper_headers(shop)
    opened = client.post("/api/v1/conversations", json={"kind": "cs", "text": "退款什么时候到账？"}, headers=ann)
    assert opened.status_code == 201 and opened.json["counterpart_name"] == "客服"
    english = client.get("/api/v1/conversations", headers={**ann, "Accept-Language": "en"}).json
    assert english["items"][0]["counterpart_name"] == "Customer service"
    mei, lei = cs_headers(app, nickname="小美"), cs_headers(app, nickname="小雷")
    assert conversations(client, mei, role="cs")["unread_total"] == 1
    say(client, opened.json["id"], mei, "一到三个工作日")
    say(client, opened.json["id"], lei, "已为您加急")
    page = client.get(f"/api/v1/conversations/{opened.json['id']}/messages", headers=ann).json
    assert [(m["sender"], m["sender_name"]) for m in page["items"][:2]] == [("cs", "客服"), ("cs", "客服")]
    assert "小美" not in str(page) and "小雷" not in str(page)
    # Not a leader's business, nor another shopper's.
    _, bob = shopper_headers(shop)
    for headers in (desk.headers, bob):
        assert client.get(f"/api/v1/conversations/{opened.json['id']}/messages", headers=headers).status_code == 404


def test_unread_counts_go_up_with_the_other_sides_messages_and_down_when_read(
    app: Flask, client: FlaskClient, shop: Shop, desk: Desk
) -> None:
    _, ann = shopper_headers(shop)
    with_leader = open_with_leader(client, shop, ann, text="一")
    say(client, with_leader, ann, "二")
    say(client, with_leader, ann, "三")
    leader_view = conversations(client, desk.headers)
    assert leader_view["unread_total"] == 3 and leader_view["items"][0]["unread_count"] == 3
    assert conversations(client, ann)["unread_total"] == 0  # my own messages are not unread to me
    client.get(f"/api/v1/conversations/{with_leader}/messages", query_string={"page_size": 1}, headers=desk.headers)
    assert conversations(client, desk.headers)["unread_total"] == 0  # reading any page marks the thread read
    say(client, with_leader, desk.headers, "好的")
    say(client, with_leader, desk.headers, "收到")
    cs = cs_headers(app)
    with_cs = client.post("/api/v1/conversations", json={"kind": "cs", "text": "在吗"}, headers=ann).json["id"]
    say(client, with_cs, cs, "在的")
    mine = conversations(client, ann)
    assert mine["unread_total"] == 3
    assert {c["id"]: c["unread_count"] for c in mine["items"]} == {with_leader: 2, with_cs: 1}
    assert mine["items"][0]["id"] == with_cs  # the latest message first
    say(client, with_leader, ann, "谢谢")  # writing reads the thread up to there
    mine = conversations(client, ann)
    assert {c["id"]: c["unread_count"] for c in mine["items"]} == {with_leader: 0, with_cs: 1}
    assert conversations(client, desk.headers)["unread_total"] == 1


def test_messages_page_newest_first(app: Flask, client: FlaskClient, shop: Shop) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann, text="m0")
    for n in range(1, 25):
        say(client, conversation_id, ann, f"m{n}")
    path = f"/api/v1/conversations/{conversation_id}/messages"
    first = client.get(path, query_string={"page_size": 10}, headers=ann).json
    last = client.get(path, query_string={"page_size": 10, "page": 3}, headers=ann).json
    assert first["total"] == 25 and [m["text"] for m in first["items"]] == [f"m{n}" for n in range(24, 14, -1)]
    assert [m["text"] for m in last["items"]] == [f"m{n}" for n in range(4, -1, -1)]
    with app.app_context():
        ids = list(db.session.scalars(select(Message.id).order_by(Message.id.desc())))
    assert [m["id"] for m in first["items"]] == ids[:10]


def test_message_text_is_checked_like_every_input(client: FlaskClient, shop: Shop) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann)
    path = f"/api/v1/conversations/{conversation_id}/messages"
    for text in ("", "   ", "a\x1b[31mred", "x" * 1001, "\u202egnp.exe"):
        answer = client.post(path, json={"text": text}, headers=ann)
        assert answer.status_code == 422 and "text" in answer.json["errors"], text
    assert client.post(path, json={}, headers=ann).status_code == 422
    assert client.post(path, json={"text": "x" * 1000}, headers=ann).status_code == 201
    assert client.post(path, json={"text": "hi", "sender_id": 1}, headers=ann).status_code == 422


def test_a_mobile_number_typed_in_a_message_is_kept_masked(client: FlaskClient, shop: Shop, desk: Desk) -> None:
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann, text="到了打我电话 13912345678 谢谢")
    page = client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=desk.headers).json
    assert page["items"][0]["text"] == "到了打我电话 139****5678 谢谢"


def test_writing_is_throttled_per_user(app: Flask, client: FlaskClient, shop: Shop, desk: Desk) -> None:
    tune(app, messaging_send_rate_limit="3 per minute")
    _, ann = shopper_headers(shop)
    conversation_id = open_with_leader(client, shop, ann, text=None)
    path = f"/api/v1/conversations/{conversation_id}/messages"
    assert [client.post(path, json={"text": f"{n}"}, headers=ann).status_code for n in range(4)] == [201] * 3 + [429]
    assert client.post(path, json={"text": "好的"}, headers=desk.headers).status_code == 201  # the leader's own count
