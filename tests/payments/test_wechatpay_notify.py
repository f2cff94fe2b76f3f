"""WeChat Pay notifications: verify first (key by serial, 5-minute window, probes), then decrypt and type.

Everything unverifiable must raise InvalidCallback, never any other exception, and never call out.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groupbuy.payments.providers import (
    IgnoredEvent,
    InvalidCallback,
    PaymentFailed,
    PaymentSucceeded,
    ProviderRefundStatus,
    RefundFailed,
    RefundSucceeded,
    Rejection,
    TradeStatus,
    WeChatPayProvider,
    WeChatPaySettings,
    build_provider,
)
from groupbuy.settings import build_settings
from tests.fakes.payment_keys import throwaway_key
from tests.fakes.wechatpay_server import FakeRefund, FakeWeChatPay
from tests.payments.conftest import APIV3_KEY, APPID, MCHID, PLATFORM_KEY_ID, T0, wechat_config

TRADE = "GB20261122000123A1"


@pytest.fixture
def fake() -> FakeWeChatPay:
    """The fake's notification side only (no HTTP needed)."""
    fake = FakeWeChatPay(
        mchid=MCHID,
        appid=APPID,
        apiv3_key=APIV3_KEY,
        merchant_public_key=throwaway_key("merchant").public_key(),
        merchant_serial_no="unused",
        platform_key=throwaway_key("wechat-platform"),
        platform_key_id=PLATFORM_KEY_ID,
        now=lambda: T0,
    )
    fake.add_trade(TRADE, 1990)
    return fake


@pytest.fixture
def provider(key_files: dict[str, str]) -> WeChatPayProvider:
    return WeChatPayProvider(WeChatPaySettings.from_settings(build_settings(wechat_config(key_files))))


@pytest.fixture(autouse=True)
def _no_outbound_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """P2: verifying a notification never calls out (no certificate download per request)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("outbound HTTP during notification handling")

    monkeypatch.setattr(requests.Session, "request", refuse)


def _rejects(provider: WeChatPayProvider, headers: dict[str, str], body: bytes, reason: Rejection) -> None:
    with pytest.raises(InvalidCallback) as caught:
        provider.parse_callback(headers, body, now=T0)
    assert caught.value.reason is reason


def test_valid_transaction_success_becomes_a_typed_event(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)

    event = provider.parse_callback(headers, body, now=T0)

    trade = fake.trades[TRADE]
    assert isinstance(event, PaymentSucceeded)
    assert (event.out_trade_no, event.transaction_id, event.amount_fen) == (TRADE, trade.transaction_id, 1990)
    assert (event.mchid, event.appid, event.payer) == (MCHID, APPID, trade.openid)
    assert event.event_id == json.loads(body)["id"]
    assert event.paid_at == T0


def test_header_names_are_case_insensitive(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)
    event = provider.parse_callback({k.upper(): v for k, v in headers.items()}, body, now=T0)
    assert isinstance(event, PaymentSucceeded)


@pytest.mark.parametrize("skew", [-300, 300])
def test_timestamp_at_the_edge_of_the_window_is_accepted(
    provider: WeChatPayProvider, fake: FakeWeChatPay, skew: int
) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0 + timedelta(seconds=skew))
    assert isinstance(provider.parse_callback(headers, body, now=T0), PaymentSucceeded)


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamp_outside_the_window_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay, skew: int) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0 + timedelta(seconds=skew))
    _rejects(provider, headers, body, Rejection.STALE)


def test_tampered_body_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)
    _rejects(provider, headers, body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCES5"), Rejection.BAD_SIGNATURE)
    _rejects(provider, headers, body + b" ", Rejection.BAD_SIGNATURE)  # even whitespace: the raw bytes are signed


def test_tampered_signature_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)
    signature = bytearray(base64.b64decode(headers["Wechatpay-Signature"]))
    signature[10] ^= 0x01
    headers["Wechatpay-Signature"] = base64.b64encode(bytes(signature)).decode()
    _rejects(provider, headers, body, Rejection.BAD_SIGNATURE)


def test_signature_by_another_key_under_our_serial_is_rejected(
    provider: WeChatPayProvider, fake: FakeWeChatPay
) -> None:
    _, body = fake.build_transaction_notification(TRADE, now=T0)
    headers = fake.sign_notification(body, now=T0, key=throwaway_key("impostor"))
    _rejects(provider, headers, body, Rejection.BAD_SIGNATURE)


def test_unknown_serial_is_rejected_without_fetching_certificates(
    provider: WeChatPayProvider, fake: FakeWeChatPay
) -> None:
    _, body = fake.build_transaction_notification(TRADE, now=T0)
    headers = fake.sign_notification(body, now=T0, serial="PUB_KEY_ID_0000000000UNKNOWN")
    _rejects(provider, headers, body, Rejection.UNKNOWN_KEY)


def test_probe_signature_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)
    headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]
    _rejects(provider, headers, body, Rejection.PROBE)


@pytest.mark.parametrize(
    "missing", ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"]
)
def test_missing_headers_are_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay, missing: str) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)
    del headers[missing]
    _rejects(provider, headers, body, Rejection.MISSING_SIGNATURE)


def test_wrong_signature_type_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)
    headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
    _rejects(provider, headers, body, Rejection.UNSUPPORTED)


@pytest.mark.parametrize("timestamp", ["", "abc", "1.5e9", "-1764000000", "17640000000000000", " 1763784000"])
def test_garbage_timestamp_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay, timestamp: str) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0)
    headers["Wechatpay-Timestamp"] = timestamp
    with pytest.raises(InvalidCallback):
        provider.parse_callback(headers, body, now=T0)


def test_wrong_apiv3_key_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_callback(
        "TRANSACTION.SUCCESS", fake.transaction_resource(TRADE), now=T0, apiv3_key=b"another-apiv3-key-of-32-bytes!!!"
    )
    _rejects(provider, headers, body, Rejection.UNDECRYPTABLE)


def test_wrong_associated_data_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    headers, body = fake.build_callback(
        "TRANSACTION.SUCCESS", fake.transaction_resource(TRADE), now=T0, decrypt_with_aad="refund"
    )
    _rejects(provider, headers, body, Rejection.UNDECRYPTABLE)


@pytest.mark.parametrize("ciphertext", ["not base64 at all!", "", "QUJD"])
def test_malformed_ciphertext_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay, ciphertext: str) -> None:
    headers, body = fake.build_callback(
        "TRANSACTION.SUCCESS", fake.transaction_resource(TRADE), now=T0, ciphertext=ciphertext
    )
    _rejects(provider, headers, body, Rejection.MALFORMED)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"x"', b"{}", b'{"id": "EV-1", "event_type": 7}', b"\xff\xfe"])
def test_malformed_but_signed_body_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay, body: bytes) -> None:
    _rejects(provider, fake.sign_notification(body, now=T0), body, Rejection.MALFORMED)


@pytest.mark.parametrize(
    "plain",
    [b"not json", b"[1, 2]", json.dumps({"trade_state": "SUCCESS"}).encode()],
    ids=["text", "array", "incomplete"],
)
def test_malformed_plaintext_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay, plain: bytes) -> None:
    headers, body = fake.build_callback("TRANSACTION.SUCCESS", plain, now=T0)
    with pytest.raises(InvalidCallback) as caught:
        provider.parse_callback(headers, body, now=T0)
    assert caught.value.reason in (Rejection.MALFORMED, Rejection.FOREIGN_MERCHANT)


@pytest.mark.parametrize("amount", ["1990", 19.9, None, True, 0, -5])
def test_amount_must_be_a_positive_integer(provider: WeChatPayProvider, fake: FakeWeChatPay, amount: object) -> None:
    resource = fake.transaction_resource(TRADE, amount={"total": amount, "currency": "CNY"})
    headers, body = fake.build_callback("TRANSACTION.SUCCESS", resource, now=T0)
    _rejects(provider, headers, body, Rejection.MALFORMED)


@pytest.mark.parametrize("field", ["mchid", "appid"])
def test_genuine_notification_for_another_merchant_is_rejected(
    provider: WeChatPayProvider, fake: FakeWeChatPay, field: str
) -> None:
    headers, body = fake.build_transaction_notification(TRADE, now=T0, **{field: "someone-else"})
    _rejects(provider, headers, body, Rejection.FOREIGN_MERCHANT)


def test_refund_success_and_abnormal_events(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    fake.pay(TRADE)
    for out_refund_no, status in (("RF-OK-1", "SUCCESS"), ("RF-STUCK-1", "ABNORMAL")):
        fake.refunds[out_refund_no] = FakeRefund(out_refund_no, TRADE, 500, 1990)
        fake.settle_refund(out_refund_no, status)

    ok = provider.parse_callback(*fake.build_refund_notification("RF-OK-1", now=T0), now=T0)
    stuck = provider.parse_callback(*fake.build_refund_notification("RF-STUCK-1", now=T0), now=T0)

    assert isinstance(ok, RefundSucceeded)
    assert (ok.out_trade_no, ok.out_refund_no, ok.refund_fen) == (TRADE, "RF-OK-1", 500)
    assert ok.refund_id == fake.refunds["RF-OK-1"].refund_id
    assert ok.succeeded_at == T0
    assert isinstance(stuck, RefundFailed)
    assert stuck.status is ProviderRefundStatus.ABNORMAL


def test_other_transaction_states_and_event_types(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    closed = fake.transaction_resource(TRADE, trade_state="CLOSED")
    failed = provider.parse_callback(*fake.build_callback("TRANSACTION.CLOSED", closed, now=T0), now=T0)
    assert isinstance(failed, PaymentFailed)
    assert failed.status is TradeStatus.CLOSED

    other = provider.parse_callback(*fake.build_callback("MCHTRANSFER.X", {"a": 1}, now=T0), now=T0)
    assert isinstance(other, IgnoredEvent)
    assert other.event_type == "MCHTRANSFER.X"


def test_platform_certificate_serial_selects_the_key(key_files: dict[str, str], fake: FakeWeChatPay) -> None:
    """Certificate mode: no key id configured, the certificate's serial is the Wechatpay-Serial."""
    config = wechat_config(key_files) | {
        "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE": key_files["platform_certificate"],
        "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": "",
    }
    provider = build_provider("wechat_native", build_settings(config))
    _, body = fake.build_transaction_notification(TRADE, now=T0)

    event = provider.parse_callback(fake.sign_notification(body, now=T0, serial="3A1B2C3D4E5F"), body, now=T0)

    assert isinstance(event, PaymentSucceeded)
    with pytest.raises(InvalidCallback):
        provider.parse_callback(fake.sign_notification(body, now=T0), body, now=T0)  # PUB_KEY_ID not held


def test_oversized_body_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    body = b"{" + b" " * 70_000 + b"}"
    _rejects(provider, fake.sign_notification(body, now=T0), body, Rejection.TOO_LARGE)


def test_absurdly_nested_but_signed_json_is_rejected(provider: WeChatPayProvider, fake: FakeWeChatPay) -> None:
    body = b"[" * 30_000 + b"]" * 30_000
    _rejects(provider, fake.sign_notification(body, now=T0), body, Rejection.MALFORMED)


def test_replies_for_the_notify_endpoint(provider: WeChatPayProvider) -> None:
    assert provider.accepted_reply().status == 204
    rejected = provider.rejected_reply("签名错误", status=401)
    assert rejected.status == 401
    assert json.loads(rejected.body) == {"code": "FAIL", "message": "签名错误"}


_header_values = st.one_of(
    st.text(max_size=40), st.sampled_from(["1763784000", PLATFORM_KEY_ID, "WECHATPAY/SIGNTEST/x"])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    headers=st.dictionaries(
        st.sampled_from(["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "X"]),
        _header_values,
    ),
    body=st.one_of(st.binary(max_size=300), st.just(b'{"id":"1","event_type":"TRANSACTION.SUCCESS","resource":{}}')),
)
def test_fuzzed_notifications_only_ever_raise_invalid_notification(
    provider: WeChatPayProvider, headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(InvalidCallback):
        provider.parse_callback(headers, body, now=T0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    resource=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=12,
    )
)
def test_fuzzed_resources_signed_by_wechat_only_raise_invalid_notification(
    provider: WeChatPayProvider, fake: FakeWeChatPay, resource: object
) -> None:
    """Even a genuine signature over a nonsense resource must not escape as another exception."""
    body = json.dumps({"id": "EV-1", "event_type": "TRANSACTION.SUCCESS", "resource": resource}).encode()
    with pytest.raises(InvalidCallback):
        provider.parse_callback(fake.sign_notification(body, now=T0), body, now=T0)
