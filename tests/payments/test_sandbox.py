"""The sandbox provider: signed checkout tokens, signed notifications verified like the real ones."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from groupbuy.payments.providers import (
    InvalidCallback,
    InvalidCheckoutToken,
    PaymentChannel,
    PaymentFailed,
    PaymentSucceeded,
    ProviderRefundStatus,
    Rejection,
    SandboxProvider,
    TradeStatus,
)
from groupbuy.payments.providers.sandbox import sandbox_key
from groupbuy.settings import build_settings
from tests.payments.conftest import T0

TRADE = "GB20261122000123S1"
CONFIG = {
    "SECRET_KEY": "test-secret-key-with-enough-length-0123456789",
    "SANDBOX_SIGNING_KEY": "test-sandbox-signing-key-0123456789",
    "PUBLIC_BASE_URL": "http://testserver/",
}


@pytest.fixture
def sandbox() -> SandboxProvider:
    return SandboxProvider.from_settings(build_settings(CONFIG))


def _create(sandbox: SandboxProvider, amount_fen: int = 1990) -> str:
    created = sandbox.create_payment(
        channel=PaymentChannel.SANDBOX,
        out_trade_no=TRADE,
        amount_fen=amount_fen,
        description="团购",
        expires_at=T0 + timedelta(minutes=15),
    )
    assert created.code_url is not None
    return created.code_url


def test_code_url_opens_our_checkout_page_with_a_signed_token(sandbox: SandboxProvider) -> None:
    code_url = _create(sandbox)

    assert code_url.startswith("http://testserver/pay/sandbox/")
    checkout = sandbox.read_checkout(code_url.rsplit("/", 1)[1])
    assert (checkout.out_trade_no, checkout.amount_fen, checkout.expires_at) == (
        TRADE,
        1990,
        T0 + timedelta(minutes=15),
    )


def test_tampered_or_foreign_tokens_are_refused(sandbox: SandboxProvider) -> None:
    token = _create(sandbox).rsplit("/", 1)[1]
    other = SandboxProvider.from_settings(
        build_settings(CONFIG | {"SANDBOX_SIGNING_KEY": "another-sandbox-key-0123456789"})
    )
    forged = other.create_payment(
        channel=PaymentChannel.SANDBOX,
        out_trade_no=TRADE,
        amount_fen=1,
        description="",
        expires_at=T0,
    ).code_url
    assert forged is not None

    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged.rsplit("/", 1)[1], "", "x.y", token + "."):
        with pytest.raises(InvalidCheckoutToken):
            sandbox.read_checkout(bad)


def test_round_trip_paid(sandbox: SandboxProvider) -> None:
    headers, body = sandbox.build_callback(TRADE, 1990, TradeStatus.SUCCESS, T0)

    event = sandbox.parse_callback(headers, body, now=T0 + timedelta(seconds=30))

    assert isinstance(event, PaymentSucceeded)
    assert (event.out_trade_no, event.amount_fen, event.paid_at) == (TRADE, 1990, T0)
    assert event.transaction_id == sandbox.transaction_id_for(TRADE)
    again = sandbox.parse_callback(*sandbox.build_callback(TRADE, 1990, TradeStatus.SUCCESS, T0), now=T0)
    assert isinstance(again, PaymentSucceeded)
    assert again.transaction_id == event.transaction_id  # duplicates dedupe like real ones
    assert again.event_id != event.event_id


def test_round_trip_failed(sandbox: SandboxProvider) -> None:
    event = sandbox.parse_callback(*sandbox.build_callback(TRADE, 1990, TradeStatus.PAYERROR, T0), now=T0)
    assert isinstance(event, PaymentFailed)
    assert event.status is TradeStatus.PAYERROR
    with pytest.raises(ValueError):
        sandbox.build_callback(TRADE, 1990, TradeStatus.REFUND, T0)


def _rejects(sandbox: SandboxProvider, headers: dict[str, str], body: bytes, reason: Rejection) -> None:
    with pytest.raises(InvalidCallback) as caught:
        sandbox.parse_callback(headers, body, now=T0)
    assert caught.value.reason is reason


def test_tampering_is_rejected(sandbox: SandboxProvider) -> None:
    headers, body = sandbox.build_callback(TRADE, 1990, TradeStatus.SUCCESS, T0)
    data: dict[str, Any] = json.loads(body)

    _rejects(sandbox, headers, json.dumps(data | {"amount_fen": 1}).encode(), Rejection.BAD_SIGNATURE)
    _rejects(sandbox, headers | {"Sandbox-Signature": "0" * 64}, body, Rejection.BAD_SIGNATURE)
    _rejects(sandbox, headers | {"Sandbox-Nonce": "other"}, body, Rejection.BAD_SIGNATURE)
    other = SandboxProvider.from_settings(
        build_settings(CONFIG | {"SANDBOX_SIGNING_KEY": "another-sandbox-key-0123456789"})
    )
    _rejects(sandbox, *other.build_callback(TRADE, 1990, TradeStatus.SUCCESS, T0), Rejection.BAD_SIGNATURE)
    for missing in ("Sandbox-Signature", "Sandbox-Timestamp", "Sandbox-Nonce"):
        _rejects(sandbox, {k: v for k, v in headers.items() if k != missing}, body, Rejection.MISSING_SIGNATURE)


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_notifications_are_rejected(sandbox: SandboxProvider, skew: int) -> None:
    headers, body = sandbox.build_callback(TRADE, 1990, TradeStatus.SUCCESS, T0 + timedelta(seconds=skew))
    _rejects(sandbox, headers, body, Rejection.STALE)


@pytest.mark.parametrize("body", [b"{}", b"[]", b"nope", b'{"id":1,"event_type":"TRANSACTION.SUCCESS"}'])
def test_signed_nonsense_is_malformed(sandbox: SandboxProvider, body: bytes) -> None:
    headers, _ = sandbox.build_callback(TRADE, 1990, TradeStatus.SUCCESS, T0)
    signed = headers | {"Sandbox-Signature": sandbox._signature(headers["Sandbox-Timestamp"], "n", body)}
    _rejects(sandbox, signed | {"Sandbox-Nonce": "n"}, body, Rejection.MALFORMED)


def test_query_close_refund_need_no_state(sandbox: SandboxProvider) -> None:
    assert sandbox.query(TRADE).status is TradeStatus.NOTPAY
    sandbox.close(TRADE)
    first = sandbox.refund(out_trade_no=TRADE, out_refund_no="RF-S-1", refund_fen=500, total_fen=1990, reason="")
    again = sandbox.refund(out_trade_no=TRADE, out_refund_no="RF-S-1", refund_fen=500, total_fen=1990, reason="")
    other = sandbox.refund(out_trade_no=TRADE, out_refund_no="RF-S-2", refund_fen=500, total_fen=1990, reason="")
    assert first.status is ProviderRefundStatus.SUCCESS
    assert first.refund_id == again.refund_id != other.refund_id
    with pytest.raises(ValueError):
        sandbox.refund(out_trade_no=TRADE, out_refund_no="RF-S-3", refund_fen=2000, total_fen=1990, reason="")


def test_key_is_the_configured_one_never_derived_from_secret_key() -> None:
    assert sandbox_key(build_settings(CONFIG)) == b"test-sandbox-signing-key-0123456789"
    assert (
        sandbox_key(build_settings(CONFIG | {"SANDBOX_SIGNING_KEY": "explicit-sandbox-key-0123"}))
        == b"explicit-sandbox-key-0123"
    )
    for config in (
        {},
        {"SECRET_KEY": CONFIG["SECRET_KEY"]},
        {"SECRET_KEY": CONFIG["SECRET_KEY"], "SANDBOX_SIGNING_KEY": ""},
    ):
        with pytest.raises(ValueError):
            sandbox_key(build_settings(config))
