"""The real jscode2session client against recorded WeChat answers (responses library)."""

from __future__ import annotations

import pytest
import requests
import responses

from groupbuy.accounts.wechat import HttpWeChatLoginClient, InvalidWeChatCode, WeChatUnavailable

URL = "https://api.weixin.qq.com/sns/jscode2session"


def _client() -> HttpWeChatLoginClient:
    return HttpWeChatLoginClient(appid="wx123", secret="s3cr3t", api_base="https://api.weixin.qq.com", timeout=2)


@responses.activate
def test_success_returns_openid_and_session_key() -> None:
    responses.get(URL, json={"openid": "o-abc", "session_key": "sk", "unionid": "u-1"})
    session = _client().code2session("code-1")
    assert (session.openid, session.session_key, session.unionid) == ("o-abc", "sk", "u-1")
    sent = responses.calls[0].request.url
    assert "appid=wx123" in sent
    assert "js_code=code-1" in sent
    assert "grant_type=authorization_code" in sent


@responses.activate
@pytest.mark.parametrize("errcode", [40029, 40163, 40226])
def test_bad_codes_are_invalid(errcode: int) -> None:
    responses.get(URL, json={"errcode": errcode, "errmsg": "invalid code"})
    with pytest.raises(InvalidWeChatCode):
        _client().code2session("bad")


@responses.activate
def test_busy_is_retried_once_then_unavailable() -> None:
    responses.get(URL, json={"errcode": -1, "errmsg": "system busy"})
    with pytest.raises(WeChatUnavailable):
        _client().code2session("c")
    assert len(responses.calls) == 2


@responses.activate
def test_busy_then_success() -> None:
    responses.get(URL, json={"errcode": -1})
    responses.get(URL, json={"openid": "o", "session_key": "k"})
    assert _client().code2session("c").openid == "o"


@responses.activate
def test_rate_limited_is_unavailable() -> None:
    responses.get(URL, json={"errcode": 45011})
    with pytest.raises(WeChatUnavailable):
        _client().code2session("c")


@responses.activate
def test_timeout_is_unavailable() -> None:
    responses.get(URL, body=requests.Timeout())
    with pytest.raises(WeChatUnavailable):
        _client().code2session("c")
