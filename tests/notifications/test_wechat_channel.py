"""Mini-app subscribe messages over the WeChat API (faked with `responses`); the token is the scheduler's alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses
from flask import Flask
from sqlalchemy import select

from groupbuy.accounts.models import User
from groupbuy.db import db
from groupbuy.implementations import message_senders
from groupbuy.notifications.enums import OutboxStatus, Transport
from groupbuy.notifications.models import Notification, OutboxMessage, WeChatAccessToken
from groupbuy.notifications.senders.base import SENDERS
from groupbuy.notifications.service import deliver_message
from tests.conftest import swap, tune
from tests.factories.market import T0, Shop
from tests.factories.notifications import add_openid
from tests.jobs.conftest import pay, place, run

API = "https://api.weixin.test"
TOKEN_URL = f"{API}/cgi-bin/stable_token"
SEND_URL = f"{API}/cgi-bin/message/subscribe/send"
TEMPLATES = {
    "order_paid": {
        "template_id": "TPL-PAID",
        "page": "pages/order/detail?id={order_id}",
        "data": {"thing1": "{body}", "character_string2": "{order_no}", "amount3": "{amount}"},
    }
}


@pytest.fixture
def wechat(app: Flask) -> Iterator[responses.RequestsMock]:
    settings = tune(
        app,
        miniapp_channel="wechat",
        wechat_appid="wx-test-app",
        wechat_secret="test-app-secret",
        wechat_api_base=API,
        wechat_subscribe_templates=TEMPLATES,
    )
    swap(app, SENDERS, message_senders(settings)[Transport.MINIAPP], Transport.MINIAPP.value)  # as built at start
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _paid_order(shop: Shop, app: Flask, buyer: User | None = None) -> tuple[User, str]:
    buyer = buyer or shop.shopper()
    with app.app_context():
        openid = db.session.scalar(select(OutboxMessage.target).where(OutboxMessage.user_id == buyer.id)) or add_openid(
            buyer.id, T0
        )
    pay(app, place(app, buyer, shop.deal()))
    return buyer, openid


def _calls(mock: responses.RequestsMock, url: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(c.request.body or "{}") for c in mock.calls if c.request.url and c.request.url.startswith(url)]


def _status(app: Flask) -> list[OutboxStatus]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_sends_the_subscribe_message_with_one_cached_token(
    shop: Shop, app: Flask, wechat: responses.RequestsMock
) -> None:
    wechat.post(TOKEN_URL, json={"access_token": "TOKEN-1", "expires_in": 7200})
    wechat.post(SEND_URL, json={"errcode": 0, "errmsg": "ok"})
    buyer, openid = _paid_order(shop, app)

    counts = run(app, "deliver_notifications", T0 + timedelta(minutes=2))
    assert (counts["token_refreshed"], counts["sent"]) == (1, 1)
    [sent] = _calls(wechat, SEND_URL)
    assert wechat.calls[-1].request.url.endswith("access_token=TOKEN-1")
    assert (sent["touser"], sent["template_id"], sent["lang"]) == (openid, "TPL-PAID", "zh_CN")
    with app.app_context():
        notice = db.session.scalars(select(Notification)).one()
    assert sent["page"] == f"pages/order/detail?id={notice.payload['order_id']}"
    assert sent["data"]["character_string2"]["value"] == notice.payload["order_no"]
    assert sent["data"]["thing1"]["value"] == notice.body[:20]  # WeChat's thing limit
    assert sent["data"]["amount3"]["value"] == "¥9.90"
    assert _calls(wechat, TOKEN_URL) == [
        {"grant_type": "client_credential", "appid": "wx-test-app", "secret": "test-app-secret", "force_refresh": False}
    ]

    _paid_order(shop, app, buyer)
    assert run(app, "deliver_notifications", T0 + timedelta(minutes=30))["sent"] == 1
    assert len(_calls(wechat, TOKEN_URL)) == 1  # the cached token was used
    run(app, "deliver_notifications", T0 + timedelta(minutes=2 + 110))  # 10 minutes before it expires
    assert len(_calls(wechat, TOKEN_URL)) == 2
    assert _status(app) == [OutboxStatus.SENT, OutboxStatus.SENT]


@pytest.mark.parametrize("errcode", [43101, 40003, 47003])
def test_refused_no_quota_or_bad_openid_is_permanent(
    errcode: int, shop: Shop, app: Flask, wechat: responses.RequestsMock
) -> None:
    wechat.post(TOKEN_URL, json={"access_token": "TOKEN-1", "expires_in": 7200})
    wechat.post(SEND_URL, json={"errcode": errcode, "errmsg": "refused"})
    _paid_order(shop, app)
    assert run(app, "deliver_notifications", T0 + timedelta(minutes=2))["failed"] == 1
    for hours in (1, 5, 24):
        run(app, "deliver_notifications", T0 + timedelta(hours=hours))
    assert len(_calls(wechat, SEND_URL)) == 1
    assert _status(app) == [OutboxStatus.FAILED]
    with app.app_context():  # the in-app notice is the record of truth and stays
        assert db.session.scalars(select(Notification.kind)).all() == ["order_paid"]
        assert db.session.scalars(select(OutboxMessage.last_error)).one() == f"permanent: errcode {errcode}"


def test_busy_is_retried_and_a_refused_token_is_replaced(
    shop: Shop, app: Flask, wechat: responses.RequestsMock
) -> None:
    wechat.post(TOKEN_URL, json={"access_token": "TOKEN-1", "expires_in": 7200})
    wechat.post(SEND_URL, json={"errcode": -1, "errmsg": "system busy"})
    wechat.post(SEND_URL, json={"errcode": 40001, "errmsg": "invalid credential"})
    _paid_order(shop, app)
    assert run(app, "deliver_notifications", T0 + timedelta(minutes=2))["retrying"] == 1
    assert run(app, "deliver_notifications", T0 + timedelta(minutes=3))["retrying"] == 1  # 40001
    with app.app_context():
        token = db.session.get_one(WeChatAccessToken, "wx-test-app")
        assert token.expires_at == T0 + timedelta(minutes=3)  # marked stale for the scheduler
    wechat.replace(responses.POST, TOKEN_URL, json={"access_token": "TOKEN-2", "expires_in": 7200})
    wechat.replace(responses.POST, SEND_URL, json={"errcode": 0, "errmsg": "ok"})
    assert run(app, "deliver_notifications", T0 + timedelta(minutes=5))["sent"] == 1
    assert _calls(wechat, TOKEN_URL)[-1]["force_refresh"] is True
    assert wechat.calls[-1].request.url.endswith("access_token=TOKEN-2")


def test_web_processes_never_fetch_the_token(shop: Shop, app: Flask, wechat: responses.RequestsMock) -> None:
    _paid_order(shop, app)
    with app.app_context():
        message_id = db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.transport == Transport.MINIAPP)
        ).one()
        assert deliver_message(message_id=message_id, now=T0 + timedelta(minutes=2)) is OutboxStatus.PENDING
        assert db.session.scalar(select(OutboxMessage.last_error)) == (
            "transient: no access token yet (the scheduler fetches it)"
        )
    assert len(wechat.calls) == 0
