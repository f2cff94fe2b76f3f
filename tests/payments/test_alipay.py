"""Alipay (RSA2) against the fake gateway: signed requests, verified answers, notify verification, yuan <-> fen."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groupbuy import clock
from groupbuy.payments.providers import (
    ALIPAY_NOTIFY_ACK,
    AlipayProvider,
    AlipaySettings,
    ErrorCode,
    IgnoredEvent,
    InvalidCallback,
    PaymentChannel,
    PaymentFailed,
    PaymentSucceeded,
    ProviderError,
    ProviderRefundStatus,
    ProviderTimeout,
    RefundSucceeded,
    Rejection,
    TradeStatus,
)
from groupbuy.payments.providers.alipay_format import fen_to_yuan, raw_members, yuan_to_fen
from groupbuy.settings import build_settings
from tests.fakes.alipay_server import AlipayRefund, FakeAlipay
from tests.fakes.http_server import Fault
from tests.fakes.payment_keys import throwaway_key
from tests.payments.conftest import ALIPAY_APP_ID, ALIPAY_NOTIFY_URL, T0, alipay_config

TRADE = "GB20261122000123B1"


def _precreate(alipay: AlipayProvider, out_trade_no: str = TRADE, amount_fen: int = 1999) -> str:
    created = alipay.create_payment(
        channel=PaymentChannel.ALIPAY_QR,
        out_trade_no=out_trade_no,
        amount_fen=amount_fen,
        description="社区团购订单",
        expires_at=clock.now() + timedelta(minutes=15),
    )
    assert created.code_url is not None
    return created.code_url


def test_precreate_is_signed_and_returns_the_qr_code(alipay: AlipayProvider, alipay_fake: FakeAlipay) -> None:
    code_url = _precreate(alipay)

    assert code_url.startswith("https://qr.alipay.com/")
    [call] = alipay_fake.calls_to("alipay.trade.precreate")
    assert call.authorized
    assert call.code == "10000"
    assert call.params["sign_type"] == "RSA2"
    assert call.params["notify_url"] == ALIPAY_NOTIFY_URL
    assert call.biz == {
        "out_trade_no": TRADE,
        "total_amount": "19.99",
        "subject": "社区团购订单",
        "timeout_express": "15m",
    }


def test_the_fake_refuses_a_request_signed_by_another_key(
    alipay_settings: AlipaySettings, alipay_fake: FakeAlipay
) -> None:
    impostor = AlipayProvider(dataclasses.replace(alipay_settings, private_key=throwaway_key("impostor")))
    with pytest.raises(ProviderError) as caught:
        _precreate(impostor)
    assert caught.value.code == ErrorCode.AUTH_FAILED
    assert caught.value.provider_code == "isv.invalid-signature"
    assert alipay_fake.trades == {}


def test_query_unscanned_paid_and_closed(alipay: AlipayProvider, alipay_fake: FakeAlipay) -> None:
    _precreate(alipay)
    assert alipay.query(TRADE).status is TradeStatus.NOTPAY  # nobody scanned: Alipay says TRADE_NOT_EXIST

    alipay_fake.scan(TRADE)
    assert alipay.query(TRADE).status is TradeStatus.NOTPAY  # WAIT_BUYER_PAY

    trade = alipay_fake.pay(TRADE, buyer_id="2088000000000042")
    paid = alipay.query(TRADE)
    assert paid.status is TradeStatus.SUCCESS
    assert (paid.transaction_id, paid.amount_fen, paid.payer) == (trade.trade_no, 1999, "2088000000000042")
    assert paid.paid_at is not None

    _precreate(alipay, "GB20261122000124B1", 100)
    alipay_fake.scan("GB20261122000124B1")
    alipay.close("GB20261122000124B1")
    assert alipay.query("GB20261122000124B1").status is TradeStatus.CLOSED


def test_close_of_a_paid_trade_or_an_unscanned_qr_is_a_typed_error(
    alipay: AlipayProvider, alipay_fake: FakeAlipay
) -> None:
    _precreate(alipay)
    with pytest.raises(ProviderError) as unscanned:
        alipay.close(TRADE)
    assert unscanned.value.code == ErrorCode.TRADE_NOT_FOUND

    alipay_fake.pay(TRADE)
    with pytest.raises(ProviderError) as paid:
        alipay.close(TRADE)
    assert paid.value.code == ErrorCode.WRONG_STATE
    assert alipay_fake.trades[TRADE].state == "TRADE_SUCCESS"


def test_refund_succeeds_and_a_repeat_is_confirmed_by_the_refund_query(
    alipay: AlipayProvider, alipay_fake: FakeAlipay
) -> None:
    _precreate(alipay)
    alipay_fake.pay(TRADE)
    args = {"out_trade_no": TRADE, "out_refund_no": "RF-B-1", "refund_fen": 999, "total_fen": 1999, "reason": "缺货"}

    first = alipay.refund(**args)  # type: ignore[arg-type]
    again = alipay.refund(**args)  # type: ignore[arg-type]

    assert first.status is ProviderRefundStatus.SUCCESS
    assert first.refund_fen == 999
    assert again.status is ProviderRefundStatus.SUCCESS  # fund_change=N, then the refund query says REFUND_SUCCESS
    assert [call.biz["out_request_no"] for call in alipay_fake.calls_to("alipay.trade.refund")] == ["RF-B-1"] * 2
    assert len(alipay_fake.calls_to("alipay.trade.fastpay.refund.query")) == 1
    assert list(alipay_fake.refunds) == ["RF-B-1"]
    assert alipay_fake.calls_to("alipay.trade.refund")[0].biz["refund_amount"] == "9.99"


def test_refund_without_fund_change_and_not_yet_found_is_processing(
    alipay: AlipayProvider, alipay_fake: FakeAlipay
) -> None:
    _precreate(alipay)
    alipay_fake.pay(TRADE)
    alipay_fake.pending_refunds = True
    args = {"out_trade_no": TRADE, "out_refund_no": "RF-B-3", "refund_fen": 100, "total_fen": 1999, "reason": ""}

    pending = alipay.refund(**args)  # type: ignore[arg-type]
    alipay_fake.settle_refund("RF-B-3")
    settled = alipay.refund(**args)  # type: ignore[arg-type]

    assert pending.status is ProviderRefundStatus.PROCESSING
    assert pending.succeeded_at is None
    assert settled.status is ProviderRefundStatus.SUCCESS
    assert list(alipay_fake.refunds) == ["RF-B-3"]


def test_refund_that_times_out_five_times_refunds_once(
    alipay_settings: AlipaySettings, alipay_fake: FakeAlipay
) -> None:
    alipay = AlipayProvider(dataclasses.replace(alipay_settings, timeout=0.4))
    _precreate(alipay)
    alipay_fake.pay(TRADE)
    alipay_fake.faults.add(Fault("timeout", endpoint="alipay.trade.refund"), times=5)

    failures = []
    for _attempt in range(10):
        try:
            result = alipay.refund(
                out_trade_no=TRADE, out_refund_no="RF-B-2", refund_fen=1999, total_fen=1999, reason="未成团"
            )
            break
        except ProviderTimeout as exc:
            failures.append(exc)
    else:
        pytest.fail("the refund never went through")

    assert len(failures) == 5
    assert result.status is ProviderRefundStatus.SUCCESS
    assert {call.biz["out_request_no"] for call in alipay_fake.calls_to("alipay.trade.refund")} == {"RF-B-2"}
    assert len(alipay_fake.calls_to("alipay.trade.refund")) == 6
    assert list(alipay_fake.refunds) == ["RF-B-2"]


@pytest.mark.parametrize(
    ("fault", "expected", "retryable"),
    [
        (Fault("error", code="20000"), ErrorCode.UNAVAILABLE, True),
        (Fault("error", code="ACQ.SYSTEM_ERROR"), ErrorCode.SYSTEM_ERROR, True),
        (Fault("error", code="ACQ.SOMETHING_NEW"), ErrorCode.REJECTED, False),
        (Fault("http_error", status=502), ErrorCode.UNAVAILABLE, True),
        (Fault("bad_signature"), ErrorCode.RESPONSE_SIGNATURE_INVALID, True),
    ],
)
def test_error_answers_are_typed(
    alipay: AlipayProvider, alipay_fake: FakeAlipay, fault: Fault, expected: str, retryable: bool
) -> None:
    alipay_fake.faults.add(fault)
    with pytest.raises(ProviderError) as caught:
        _precreate(alipay)
    assert (caught.value.code, caught.value.retryable) == (expected, retryable)


def test_an_answer_signed_by_another_key_is_not_trusted(alipay_settings: AlipaySettings) -> None:
    alipay = AlipayProvider(
        dataclasses.replace(alipay_settings, alipay_public_key=throwaway_key("impostor").public_key())
    )
    with pytest.raises(ProviderError) as caught:
        _precreate(alipay)
    assert caught.value.code == ErrorCode.RESPONSE_SIGNATURE_INVALID


# -- notifications ---------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeAlipay:
    fake = FakeAlipay(
        app_id=ALIPAY_APP_ID,
        app_public_key=throwaway_key("alipay-app").public_key(),
        alipay_key=throwaway_key("alipay"),
        now=lambda: T0,
    )
    fake.add_trade(TRADE, 1999)
    return fake


def _rejects(alipay: AlipayProvider, body: bytes, reason: Rejection) -> None:
    with pytest.raises(InvalidCallback) as caught:
        alipay.parse_callback({}, body, now=T0)
    assert caught.value.reason is reason


def test_valid_notify_becomes_a_typed_event_and_the_answer_is_success(alipay: AlipayProvider, fake: FakeAlipay) -> None:
    headers, body = fake.build_notify(TRADE, now=T0)

    event = alipay.parse_callback(headers, body, now=T0)

    fields = dict(parse_qsl(body.decode()))
    assert isinstance(event, PaymentSucceeded)
    assert (event.out_trade_no, event.transaction_id, event.amount_fen) == (TRADE, fake.trades[TRADE].trade_no, 1999)
    assert (event.appid, event.mchid, event.event_id) == (ALIPAY_APP_ID, fake.seller_id, fields["notify_id"])
    assert event.paid_at == T0
    assert ALIPAY_NOTIFY_ACK == "success"
    assert alipay.accepted_reply().body == b"success"
    assert alipay.rejected_reply("bad sign").body != b"success"


@pytest.mark.parametrize(("amount", "fen"), [("0.10", 10), ("19.99", 1999), ("100.00", 10000), ("0.01", 1), ("7", 700)])
def test_notify_amounts_become_fen(alipay: AlipayProvider, fake: FakeAlipay, amount: str, fen: int) -> None:
    event = alipay.parse_callback({}, fake.build_notify(TRADE, now=T0, total_amount=amount)[1], now=T0)
    assert isinstance(event, PaymentSucceeded)
    assert event.amount_fen == fen


@pytest.mark.parametrize(
    "amount",
    ["0.00", "19.999", "-1.00", "+1.00", "1e3", "abc", "", "1,00", "1.", ".5", "٣.٠٠", " 1.00", "1.00\n", "NaN"],
)
def test_bad_notify_amounts_are_rejected(alipay: AlipayProvider, fake: FakeAlipay, amount: str) -> None:
    _rejects(alipay, fake.build_notify(TRADE, now=T0, total_amount=amount)[1], Rejection.MALFORMED)


def test_bad_sign_is_rejected(alipay: AlipayProvider, fake: FakeAlipay) -> None:
    fields = fake.notify_fields(TRADE, now=T0)
    _, forged = fake.sign_notify(fields, key=throwaway_key("impostor"))
    _rejects(alipay, forged, Rejection.BAD_SIGNATURE)


def test_a_field_changed_after_signing_is_rejected(alipay: AlipayProvider, fake: FakeAlipay) -> None:
    _, body = fake.build_notify(TRADE, now=T0)
    fields = dict(parse_qsl(body.decode()))
    fields["total_amount"] = "0.01"
    _rejects(alipay, urlencode(fields).encode(), Rejection.BAD_SIGNATURE)


def test_missing_sign_and_other_sign_types_are_rejected(alipay: AlipayProvider, fake: FakeAlipay) -> None:
    fields = dict(parse_qsl(fake.build_notify(TRADE, now=T0)[1].decode()))
    _rejects(alipay, urlencode({k: v for k, v in fields.items() if k != "sign"}).encode(), Rejection.MISSING_SIGNATURE)
    _rejects(alipay, urlencode(fields | {"sign_type": "RSA"}).encode(), Rejection.UNSUPPORTED)


def test_genuine_notify_for_another_app_is_rejected(alipay: AlipayProvider, fake: FakeAlipay) -> None:
    _rejects(alipay, fake.build_notify(TRADE, now=T0, app_id="2021000000009999")[1], Rejection.FOREIGN_MERCHANT)


@pytest.mark.parametrize("body", [b"", b"a=1&a=2", b"%ff=1", b"\xff\xfe", b"no-equals-sign", b"a=1&&b=2"])
def test_malformed_forms_are_rejected(alipay: AlipayProvider, body: bytes) -> None:
    with pytest.raises(InvalidCallback):
        alipay.parse_callback({}, body, now=T0)


def test_refund_closed_and_waiting_notifications(alipay: AlipayProvider, fake: FakeAlipay) -> None:
    fake.pay(TRADE)
    fake.refunds["RF-B-9"] = AlipayRefund("RF-B-9", TRADE, 500, T0)
    refund = alipay.parse_callback({}, fake.build_refund_notify("RF-B-9", now=T0)[1], now=T0)
    closed = alipay.parse_callback({}, fake.build_notify(TRADE, now=T0, trade_status="TRADE_CLOSED")[1], now=T0)
    waiting = alipay.parse_callback({}, fake.build_notify(TRADE, now=T0, trade_status="WAIT_BUYER_PAY")[1], now=T0)

    assert isinstance(refund, RefundSucceeded)
    assert (refund.out_trade_no, refund.out_refund_no, refund.refund_fen) == (TRADE, "RF-B-9", None)
    assert refund.succeeded_at == T0  # "yyyy-MM-dd HH:mm:ss.SSS" Beijing time
    assert isinstance(closed, PaymentFailed)
    assert closed.status is TradeStatus.CLOSED
    assert isinstance(waiting, IgnoredEvent)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=st.dictionaries(
        st.one_of(st.sampled_from(["sign", "sign_type", "app_id", "total_amount"]), st.text(max_size=12)),
        st.text(max_size=20),
        max_size=8,
    ),
    raw=st.binary(max_size=200),
)
def test_fuzzed_forms_only_ever_raise_invalid_notification(
    key_files: dict[str, str], form: dict[str, str], raw: bytes
) -> None:
    alipay = AlipayProvider(AlipaySettings.from_settings(build_settings(alipay_config(key_files))))
    for body in (urlencode(form).encode(), raw):
        with pytest.raises(InvalidCallback):
            alipay.parse_callback({}, body, now=T0)


# -- money and wire format -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "fen"), [("0.10", 10), ("19.99", 1999), ("100.00", 10000), ("0", 0), ("0.5", 50)])
def test_yuan_to_fen(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@pytest.mark.parametrize("text", ["19.999", "-0.10", "1e2", "0x10", "١٢.٠٠", "01.00", "1 000.00", "Infinity", "1_000"])
def test_yuan_to_fen_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        yuan_to_fen(text)


def test_raw_members_keep_the_exact_signed_text() -> None:
    text = '{"alipay_trade_query_response":{"code":"10000","msg":"Success","a":"\\u4e2d/\\/"} , "sign":"abc"}'
    members = raw_members(text)
    assert members == {
        "alipay_trade_query_response": '{"code":"10000","msg":"Success","a":"\\u4e2d/\\/"}',
        "sign": '"abc"',
    }
    assert json.loads(members["alipay_trade_query_response"])["a"] == "中//"
    for broken in ("", "[]", '{"a":1', '{"a":1}x', '{"a" 1}', '{"a":1,"a":2}', "{1:2}"):
        with pytest.raises(ValueError):
            raw_members(broken)
