"""WeChat Pay API v3 client against the fake server: signed requests, verified answers, typed results and errors."""

from __future__ import annotations

import base64
import dataclasses
import socket
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from groupbuy import clock
from groupbuy.payments.providers import (
    ErrorCode,
    PaymentChannel,
    ProviderError,
    ProviderRefundStatus,
    ProviderTimeout,
    TradeStatus,
    WeChatPayProvider,
    WeChatPaySettings,
)
from tests.fakes.http_server import Fault
from tests.fakes.payment_keys import throwaway_key
from tests.fakes.wechatpay_server import FakeWeChatPay
from tests.payments.conftest import APPID, MCHID, NOTIFY_URL


def _native(wechat: WeChatPayProvider, out_trade_no: str = "GB20261122000123A1", amount_fen: int = 1990) -> str:
    created = wechat.create_payment(
        channel=PaymentChannel.WECHAT_NATIVE,
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        description="社区团购 · 草莓 2 盒",
        expires_at=clock.now() + timedelta(minutes=15),
    )
    assert created.code_url is not None
    return created.code_url


def test_native_payment_is_signed_and_returns_code_url(wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay) -> None:
    code_url = _native(wechat)

    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    [call] = wechat_fake.calls_to("native")
    assert call.authorized
    assert call.status == 200
    assert call.body is not None
    assert call.body["appid"] == APPID
    assert call.body["mchid"] == MCHID
    assert call.body["amount"] == {"total": 1990, "currency": "CNY"}
    assert call.body["notify_url"] == NOTIFY_URL
    assert call.body["description"] == "社区团购 · 草莓 2 盒"
    assert call.body["time_expire"].endswith("+08:00")


def test_same_native_order_twice_is_the_same_trade(wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay) -> None:
    assert _native(wechat) == _native(wechat)
    assert len(wechat_fake.trades) == 1


def test_jsapi_payment_returns_prepay_id_and_pay_sign_verifiable_with_merchant_public_key(
    wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay
) -> None:
    created = wechat.create_payment(
        channel=PaymentChannel.WECHAT_JSAPI,
        out_trade_no="GB20261122000124J1",
        amount_fen=4500,
        description="团购订单",
        expires_at=clock.now() + timedelta(minutes=15),
        payer_openid="o-mini-app-user",
    )

    assert created.code_url is None
    assert created.prepay_id
    assert created.jsapi_params is not None
    [call] = wechat_fake.calls_to("jsapi")
    assert call.authorized
    assert call.body is not None
    assert call.body["payer"] == {"openid": "o-mini-app-user"}
    params = created.jsapi_params.as_request_payment()
    assert params["package"] == f"prepay_id={created.prepay_id}"
    assert params["signType"] == "RSA"
    assert params["appId"] == APPID
    assert len(params["timeStamp"]) == 10
    assert params["timeStamp"].isdigit()
    message = f"{APPID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    throwaway_key("merchant").public_key().verify(
        base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256()
    )
    with pytest.raises(InvalidSignature):  # and it signs exactly those four lines
        throwaway_key("merchant").public_key().verify(
            base64.b64decode(params["paySign"]), message[:-1], padding.PKCS1v15(), hashes.SHA256()
        )


def test_jsapi_needs_an_openid(wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay) -> None:
    with pytest.raises(ValueError):
        wechat.create_payment(
            channel=PaymentChannel.WECHAT_JSAPI,
            out_trade_no="GB20261122000125J1",
            amount_fen=100,
            description="x",
            expires_at=clock.now() + timedelta(minutes=15),
        )
    assert wechat_fake.calls == []


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, "100"])
def test_amount_must_be_positive_integer_fen(wechat: WeChatPayProvider, amount: object) -> None:
    with pytest.raises(ValueError):
        wechat.create_payment(
            channel=PaymentChannel.WECHAT_NATIVE,
            out_trade_no="GB20261122000126A1",
            amount_fen=amount,  # type: ignore[arg-type]
            description="x",
            expires_at=clock.now() + timedelta(minutes=15),
        )


def test_the_fake_refuses_a_request_signed_by_another_key(
    wechat_settings: WeChatPaySettings, wechat_fake: FakeWeChatPay
) -> None:
    impostor = WeChatPayProvider(dataclasses.replace(wechat_settings, merchant_key=throwaway_key("impostor")))

    with pytest.raises(ProviderError) as caught:
        _native(impostor)

    assert caught.value.code == ErrorCode.AUTH_FAILED
    assert not caught.value.retryable
    assert caught.value.provider_code == "SIGN_ERROR"
    assert [call.authorized for call in wechat_fake.calls] == [False]
    assert wechat_fake.trades == {}


def test_query_notpay_success_closed(wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay) -> None:
    _native(wechat, "GB20261122000200A1", 2500)
    assert wechat.query("GB20261122000200A1").status is TradeStatus.NOTPAY

    trade = wechat_fake.pay("GB20261122000200A1", openid="o-payer-1")
    paid = wechat.query("GB20261122000200A1")
    assert paid.status is TradeStatus.SUCCESS
    assert (paid.transaction_id, paid.amount_fen, paid.payer) == (trade.transaction_id, 2500, "o-payer-1")
    assert paid.paid_at is not None
    assert paid.paid_at.tzinfo is not None

    _native(wechat, "GB20261122000201A1", 100)
    wechat.close("GB20261122000201A1")
    assert wechat_fake.trades["GB20261122000201A1"].state == "CLOSED"
    assert wechat.query("GB20261122000201A1").status is TradeStatus.CLOSED


def test_query_path_escapes_out_trade_no_exactly_as_signed(
    wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay
) -> None:
    wechat_fake.add_trade("GB|2026*11_22-9", 300)
    assert wechat.query("GB|2026*11_22-9").status is TradeStatus.NOTPAY
    [call] = wechat_fake.calls_to("query")
    assert call.authorized
    assert "%7C" in call.uri
    assert "%2A" in call.uri


def test_query_unknown_trade(wechat: WeChatPayProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        wechat.query("GB20261122009999X1")
    assert caught.value.code == ErrorCode.TRADE_NOT_FOUND
    assert not caught.value.retryable


def test_close_after_payment_is_already_paid(wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay) -> None:
    _native(wechat, "GB20261122000300A1", 990)
    wechat_fake.pay("GB20261122000300A1")

    with pytest.raises(ProviderError) as caught:
        wechat.close("GB20261122000300A1")

    assert caught.value.code == ErrorCode.ALREADY_PAID
    assert caught.value.provider_code == "ORDERPAID"
    assert wechat_fake.trades["GB20261122000300A1"].state == "SUCCESS"


def test_refund_processing_then_success_with_the_same_out_refund_no(
    wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay
) -> None:
    _native(wechat, "GB20261122000400A1", 5000)
    wechat_fake.pay("GB20261122000400A1")
    args = {"out_trade_no": "GB20261122000400A1", "out_refund_no": "RF20261122000400-1", "total_fen": 5000}

    first = wechat.refund(**args, refund_fen=1200, reason="团购未成团")
    assert (first.status, first.refund_fen, first.refund_id) == (ProviderRefundStatus.PROCESSING, 1200, first.refund_id)
    [call] = wechat_fake.calls_to("refund")
    assert call.body == {
        "out_trade_no": "GB20261122000400A1",
        "out_refund_no": "RF20261122000400-1",
        "notify_url": NOTIFY_URL,
        "amount": {"refund": 1200, "total": 5000, "currency": "CNY"},
        "reason": "团购未成团",
    }

    wechat_fake.settle_refund("RF20261122000400-1")
    again = wechat.refund(**args, refund_fen=1200, reason="团购未成团")
    assert again.status is ProviderRefundStatus.SUCCESS
    assert again.refund_id == first.refund_id
    assert again.succeeded_at is not None
    assert len(wechat_fake.refunds) == 1


def test_refund_more_than_total_is_refused_locally(wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay) -> None:
    with pytest.raises(ValueError):
        wechat.refund(out_trade_no="GB20261122000401A1", out_refund_no="R1", refund_fen=501, total_fen=500, reason="")
    assert wechat_fake.calls == []


def test_refund_that_times_out_five_times_refunds_once(
    wechat_settings: WeChatPaySettings, wechat_fake: FakeWeChatPay
) -> None:
    """P6: each timed-out attempt reached WeChat (the nasty case); retries reuse out_refund_no; one refund."""
    wechat = WeChatPayProvider(dataclasses.replace(wechat_settings, timeout=0.4))
    _native(wechat, "GB20261122000500A1", 3000)
    wechat_fake.pay("GB20261122000500A1")
    wechat_fake.faults.add(Fault("timeout", endpoint="refund", after_processing=True), times=5)

    failures: list[ProviderTimeout] = []
    for _attempt in range(10):  # what the domain's retry does: same arguments every time
        try:
            result = wechat.refund(
                out_trade_no="GB20261122000500A1",
                out_refund_no="RF20261122000500-1",
                refund_fen=3000,
                total_fen=3000,
                reason="取消订单",
            )
            break
        except ProviderTimeout as exc:
            failures.append(exc)
    else:
        pytest.fail("the refund never went through")

    assert [(f.code, f.retryable) for f in failures] == [(ErrorCode.TIMEOUT, True)] * 5
    calls = wechat_fake.calls_to("refund")
    assert len(calls) == 6
    assert {call.body["out_refund_no"] for call in calls if call.body} == {"RF20261122000500-1"}
    assert list(wechat_fake.refunds) == ["RF20261122000500-1"]
    assert sum(refund.refund_fen for refund in wechat_fake.refunds.values()) == 3000
    assert result.status is ProviderRefundStatus.PROCESSING
    assert result.refund_fen == 3000


@pytest.mark.parametrize(
    ("status", "code", "expected", "retryable"),
    [
        (500, "SYSTEM_ERROR", ErrorCode.SYSTEM_ERROR, True),
        (429, "FREQUENCY_LIMITED", ErrorCode.FREQUENCY_LIMITED, True),
        (503, "SOMETHING_NEW", ErrorCode.UNAVAILABLE, True),
        (403, "NOT_ENOUGH", ErrorCode.INSUFFICIENT_FUNDS, True),
        (400, "PARAM_ERROR", ErrorCode.REJECTED, False),
    ],
)
def test_error_answers_are_typed(
    wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay, status: int, code: str, expected: str, retryable: bool
) -> None:
    wechat_fake.faults.add(Fault("error", status=status, code=code))
    with pytest.raises(ProviderError) as caught:
        _native(wechat)
    assert (caught.value.code, caught.value.retryable, caught.value.provider_code) == (expected, retryable, code)


def test_an_answer_with_a_broken_signature_is_not_trusted(
    wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay
) -> None:
    wechat_fake.faults.add(Fault("bad_signature"))
    with pytest.raises(ProviderError) as caught:
        _native(wechat)
    assert caught.value.code == ErrorCode.RESPONSE_SIGNATURE_INVALID
    assert caught.value.retryable


def test_an_answer_signed_by_an_unknown_key_is_not_trusted(
    wechat_settings: WeChatPaySettings, wechat_fake: FakeWeChatPay
) -> None:
    other = {"PUB_KEY_ID_SOMEONE_ELSE": throwaway_key("impostor").public_key()}
    wechat = WeChatPayProvider(dataclasses.replace(wechat_settings, platform_keys=other))
    with pytest.raises(ProviderError) as caught:
        _native(wechat)
    assert caught.value.code == ErrorCode.RESPONSE_SIGNATURE_INVALID


def test_a_forged_unsigned_looking_orderpaid_is_refused_when_signed_wrongly(
    wechat: WeChatPayProvider, wechat_fake: FakeWeChatPay
) -> None:
    _native(wechat, "GB20261122000600A1", 100)
    wechat_fake.pay("GB20261122000600A1")
    wechat_fake.faults.add(Fault("bad_signature", endpoint="close"))
    with pytest.raises(ProviderError) as caught:
        wechat.close("GB20261122000600A1")
    assert caught.value.code == ErrorCode.RESPONSE_SIGNATURE_INVALID


def test_nobody_listening_is_unavailable_and_retryable(wechat_settings: WeChatPaySettings) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    wechat = WeChatPayProvider(dataclasses.replace(wechat_settings, api_base=f"http://127.0.0.1:{port}"))
    with pytest.raises(ProviderError) as caught:
        wechat.query("GB20261122000700A1")
    assert caught.value.code == ErrorCode.UNAVAILABLE
    assert caught.value.retryable
