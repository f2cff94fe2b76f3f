"""UnionPay (全渠道 v5.1.0) against the fake gateway: signed requests, answers and notifications verified against
our configured root + intermediate and the signer's name, query / close / refund, settings."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from groupbuy import clock, create_app
from groupbuy.config import SECRET_KEYS, ConfigError, check_production
from groupbuy.payments.providers import (
    UNIONPAY_NOTIFY_ACK,
    ErrorCode,
    InvalidCallback,
    PaymentChannel,
    PaymentSucceeded,
    ProviderError,
    ProviderNotConfigured,
    ProviderRefundStatus,
    ProviderTimeout,
    RefundSucceeded,
    Rejection,
    TradeStatus,
    UnionPayProvider,
    UnionPaySettings,
    build_provider,
)
from groupbuy.payments.providers.unionpay_sign import parse_answer, signing_string
from groupbuy.settings import build_settings
from tests.fakes.http_server import Fault
from tests.fakes.payment_keys import write
from tests.fakes.unionpay_pki import MERCHANT_CERT_SERIAL, pem, unionpay_pki
from tests.fakes.unionpay_server import FakeUnionPay, beijing
from tests.payments.conftest import T0, UNIONPAY_FRONT_URL, UNIONPAY_MER_ID, UNIONPAY_NOTIFY_URL, unionpay_config

TRADE = "GB202611220000000123U1"
PLACED = T0
LATER = T0 + timedelta(minutes=3)


def _qr(unionpay: UnionPayProvider, trade: str = TRADE, amount_fen: int = 1999) -> str:
    with clock.frozen(PLACED):
        created = unionpay.create_payment(
            channel=PaymentChannel.UNIONPAY_QR,
            out_trade_no=trade,
            amount_fen=amount_fen,
            description="社区团购订单",
            expires_at=PLACED + timedelta(minutes=15),
            placed_at=PLACED,
        )
    assert created.code_url is not None and created.front_form is None
    return created.code_url


def test_qr_consume_is_signed_and_returns_the_qr_code(unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay) -> None:
    code_url = _qr(unionpay)

    assert code_url.startswith("https://qr.95516.com/")
    [call] = unionpay_fake.calls
    assert call.authorized and call.resp_code == "00"
    sent = call.fields
    assert {k: sent[k] for k in ("txnType", "txnSubType", "bizType", "channelType", "currencyCode", "signMethod")} == {
        "txnType": "01",
        "txnSubType": "07",
        "bizType": "000000",
        "channelType": "08",
        "currencyCode": "156",
        "signMethod": "01",
    }
    assert sent["certId"] == str(MERCHANT_CERT_SERIAL) and sent["merId"] == UNIONPAY_MER_ID
    assert (sent["orderId"], sent["txnAmt"], sent["backUrl"]) == (TRADE, "1999", UNIONPAY_NOTIFY_URL)
    assert sent["txnTime"] == beijing(PLACED) == "20261122120000"
    assert sent["payTimeout"] == "20261122121500"


def test_h5_returns_a_signed_front_form_without_calling_out(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay
) -> None:
    created = unionpay.create_payment(
        channel=PaymentChannel.UNIONPAY_H5,
        out_trade_no="GB202611220000000123H1",
        amount_fen=500,
        description="",
        expires_at=PLACED + timedelta(minutes=15),
        placed_at=PLACED,
    )

    assert created.code_url is None and created.front_form is not None
    assert created.front_form.action == unionpay_fake.url + "/gateway/api/frontTransReq.do"
    fields = dict(created.front_form.fields)
    assert (fields["txnSubType"], fields["bizType"], fields["frontUrl"]) == ("01", "000201", UNIONPAY_FRONT_URL)
    assert unionpay_fake._authorized(fields)  # the gateway would accept our signature
    assert not unionpay_fake._authorized(fields | {"txnAmt": "1"})
    assert unionpay_fake.calls == []


def test_query_unpaid_is_notpay_and_paid_tells_amount_and_query_id(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay
) -> None:
    _qr(unionpay)
    assert unionpay.query(TRADE, placed_at=PLACED).status is TradeStatus.NOTPAY  # 34: nobody paid yet

    trade = unionpay_fake.pay(TRADE)
    paid = unionpay.query(TRADE, placed_at=PLACED)

    assert (paid.status, paid.amount_fen, paid.transaction_id) == (TradeStatus.SUCCESS, 1999, trade.query_id)
    query = unionpay_fake.calls_to("query")[-1]
    assert query.authorized and query.fields["txnType"] == "00" and query.fields["txnTime"] == beijing(PLACED)


def test_close_an_unpaid_qr_is_not_found_and_a_paid_one_already_paid(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay
) -> None:
    _qr(unionpay)
    with pytest.raises(ProviderError) as unpaid:
        unionpay.close(TRADE, placed_at=PLACED)
    assert unpaid.value.code == ErrorCode.TRADE_NOT_FOUND

    unionpay_fake.pay(TRADE)
    with pytest.raises(ProviderError) as paid:
        unionpay.close(TRADE, placed_at=PLACED)
    assert paid.value.code == ErrorCode.ALREADY_PAID


def _refund(unionpay: UnionPayProvider, number: str, fen: int, at: Any = LATER, **extra: Any) -> Any:
    return unionpay.refund(
        out_trade_no=TRADE,
        out_refund_no=number,
        refund_fen=fen,
        total_fen=1999,
        reason="缺货",
        requested_at=at,
        **extra,
    )


def test_partial_refunds_each_land_once_under_retries_and_never_exceed_paid(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay
) -> None:
    _qr(unionpay)
    query_id = unionpay_fake.pay(TRADE).query_id

    first = _refund(unionpay, TRADE + "R01", 500, transaction_id=query_id)
    again = _refund(unionpay, TRADE + "R01", 500, transaction_id=query_id)  # a retry: duplicate, then query
    second = _refund(
        unionpay, TRADE + "R02", 1499, LATER + timedelta(minutes=1), placed_at=PLACED
    )  # origQryId by query
    with pytest.raises(ProviderError) as too_much:
        _refund(unionpay, TRADE + "R03", 1, LATER + timedelta(minutes=2), transaction_id=query_id)

    assert first.status is ProviderRefundStatus.PROCESSING  # accepted: the result comes by notification or query
    assert (
        again.status is ProviderRefundStatus.SUCCESS
        and again.refund_id == unionpay_fake.refunds[TRADE + "R01"].query_id
    )
    assert second.status is ProviderRefundStatus.PROCESSING
    assert (too_much.value.code, too_much.value.provider_code) == (ErrorCode.WRONG_STATE, "36")
    assert sorted(unionpay_fake.refunds) == [TRADE + "R01", TRADE + "R02"]
    assert sum(r.amount_fen for r in unionpay_fake.refunds.values()) == 1999
    sent = unionpay_fake.calls_to("back", "04")[0].fields
    assert (sent["origQryId"], sent["txnAmt"], sent["txnTime"]) == (query_id, "500", beijing(LATER))


def test_a_refund_that_timed_out_after_landing_is_found_by_the_retry(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay
) -> None:
    _qr(unionpay)
    query_id = unionpay_fake.pay(TRADE).query_id
    unionpay_fake.faults.add(Fault("timeout", endpoint="back"))

    with pytest.raises(ProviderTimeout):
        _refund(unionpay, TRADE + "R01", 700, transaction_id=query_id)
    unionpay_fake.release()
    retried = _refund(unionpay, TRADE + "R01", 700, transaction_id=query_id)

    assert retried.status is ProviderRefundStatus.SUCCESS and list(unionpay_fake.refunds) == [TRADE + "R01"]


def test_a_refund_still_in_progress_stays_processing(unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay) -> None:
    _qr(unionpay)
    query_id = unionpay_fake.pay(TRADE).query_id
    unionpay_fake.pending_refunds = True
    _refund(unionpay, TRADE + "R01", 700, transaction_id=query_id)

    assert _refund(unionpay, TRADE + "R01", 700, transaction_id=query_id).status is ProviderRefundStatus.PROCESSING
    unionpay_fake.settle_refund(TRADE + "R01")
    assert _refund(unionpay, TRADE + "R01", 700, transaction_id=query_id).status is ProviderRefundStatus.SUCCESS


def test_refund_numbers_and_times_are_required(unionpay: UnionPayProvider) -> None:
    with pytest.raises(ValueError):
        _refund(unionpay, "R-01_bad", 100, transaction_id="1")
    with pytest.raises(ValueError):
        _refund(unionpay, TRADE + "R01", 100, None, transaction_id="1")


@pytest.mark.parametrize(
    ("arrange", "code", "retryable"),
    [
        (lambda f: f.fail_next("05", endpoint="back"), ErrorCode.TIMEOUT, True),  # unknown: query later
        (lambda f: f.fail_next("06", endpoint="back"), ErrorCode.SYSTEM_ERROR, True),
        (lambda f: f.fail_next("11", endpoint="back"), ErrorCode.AUTH_FAILED, False),
        (lambda f: f.faults.add(Fault("http_error", status=502)), ErrorCode.UNAVAILABLE, True),
        (lambda f: f.faults.add(Fault("bad_signature")), ErrorCode.RESPONSE_SIGNATURE_INVALID, True),
        (
            lambda f: setattr(f, "answer_signer", unionpay_pki().foreign_signer),
            ErrorCode.RESPONSE_SIGNATURE_INVALID,
            True,
        ),
        (
            lambda f: setattr(f, "answer_signer", unionpay_pki().wrong_org_signer),
            ErrorCode.RESPONSE_SIGNATURE_INVALID,
            True,
        ),
    ],
    ids=["unknown-05", "busy-06", "signature-refused-11", "http-502", "tampered answer", "foreign CA", "wrong org"],
)
def test_gateway_failures_are_typed(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay, arrange: Any, code: str, retryable: bool
) -> None:
    arrange(unionpay_fake)
    with pytest.raises(ProviderError) as raised:
        _qr(unionpay)
    assert (raised.value.code, raised.value.retryable) == (code, retryable)


def test_a_timeout_is_provider_timeout(unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay) -> None:
    unionpay_fake.faults.add(Fault("timeout", endpoint="back"))
    with pytest.raises(ProviderTimeout):
        _qr(unionpay)


# -- notifications ----------------------------------------------------------------------------------------------


def _paid_notify(unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay, **overrides: str) -> bytes:
    _qr(unionpay)
    return unionpay_fake.build_notify(TRADE, **overrides)[1]


def test_a_genuine_notification_is_a_payment(unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay) -> None:
    body = _paid_notify(unionpay, unionpay_fake)

    event = unionpay.parse_callback({}, body, now=LATER)

    trade = unionpay_fake.trades[TRADE]
    assert event == PaymentSucceeded(
        out_trade_no=TRADE,
        transaction_id=trade.query_id,
        amount_fen=1999,
        mchid=UNIONPAY_MER_ID,
        appid="",
        event_id=f"01:{trade.query_id}",
        paid_at=None,
    )
    reply = unionpay.accepted_reply()
    assert (reply.status, reply.body) == (200, UNIONPAY_NOTIFY_ACK.encode()) == (200, b"ok")
    assert unionpay.rejected_reply("x").status != 200


def _resigned(body: bytes, **changes: str) -> bytes:
    return urlencode(dict(parse_qsl(body.decode())) | changes).encode()


def _without(body: bytes, name: str) -> bytes:
    return urlencode({k: v for k, v in parse_qsl(body.decode()) if k != name}).encode()


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda f, b: _resigned(b, txnAmt="1"), Rejection.BAD_SIGNATURE),  # tampered after signing
        (lambda f, b: _without(b, "signature"), Rejection.MISSING_SIGNATURE),
        (lambda f, b: _without(b, "signPubKeyCert"), Rejection.MISSING_SIGNATURE),
        (lambda f, b: _resigned(b, signMethod="11"), Rejection.UNSUPPORTED),
        (
            lambda f, b: f.sign_notify(f.notify_fields(TRADE), signer=unionpay_pki().foreign_signer)[1],
            Rejection.UNKNOWN_KEY,
        ),
        (
            lambda f, b: f.sign_notify(f.notify_fields(TRADE), signer=unionpay_pki().wrong_org_signer)[1],
            Rejection.UNKNOWN_KEY,
        ),
        (
            lambda f, b: f.sign_notify(f.notify_fields(TRADE), signer=unionpay_pki().expired_signer)[1],
            Rejection.UNKNOWN_KEY,
        ),
        (  # a genuine signer certificate, and a signature by another key
            lambda f, b: _resigned(
                f.sign_notify(f.notify_fields(TRADE), signer=unionpay_pki().foreign_signer)[1],
                signPubKeyCert=unionpay_pki().signer.certificate_pem,
            ),
            Rejection.BAD_SIGNATURE,
        ),
        (lambda f, b: _resigned(b, signPubKeyCert=pem(unionpay_pki().chain.middle)), Rejection.UNKNOWN_KEY),
        (lambda f, b: f.build_notify(TRADE, txnTime="20261119120000")[1], Rejection.STALE),  # 3 days old
        (lambda f, b: f.build_notify(TRADE, txnTime="2026112212")[1], Rejection.BAD_TIMESTAMP),
        (lambda f, b: f.build_notify(TRADE, txnAmt="19.99")[1], Rejection.MALFORMED),
        (lambda f, b: f.build_notify(TRADE, queryId="")[1], Rejection.MALFORMED),
        (lambda f, b: b"a=1&a=2", Rejection.MALFORMED),
        (lambda f, b: b"x" * (64 * 1024 + 1), Rejection.TOO_LARGE),
    ],
    ids=[
        "tampered",
        "unsigned",
        "no signer cert",
        "other sign method",
        "foreign CA",
        "wrong org",
        "expired signer",
        "key not the cert's",
        "CA as signer",
        "stale",
        "bad time",
        "yuan amount",
        "no query id",
        "repeated field",
        "too large",
    ],
)
def test_forged_or_broken_notifications_are_refused(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay, forge: Any, reason: Rejection
) -> None:
    body = _paid_notify(unionpay, unionpay_fake)
    with pytest.raises(InvalidCallback) as refused:
        unionpay.parse_callback({}, forge(unionpay_fake, body), now=LATER)
    assert refused.value.reason is reason


def test_a_refund_notification(unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay) -> None:
    _qr(unionpay)
    query_id = unionpay_fake.pay(TRADE).query_id
    _refund(unionpay, TRADE + "R01", 300, transaction_id=query_id)

    event = unionpay.parse_callback({}, unionpay_fake.build_refund_notify(TRADE + "R01")[1], now=LATER)

    assert isinstance(event, RefundSucceeded)
    assert (event.out_refund_no, event.refund_fen, event.refund_id) == (
        TRADE + "R01",
        300,
        unionpay_fake.refunds[TRADE + "R01"].query_id,
    )


# -- wire format and settings --------------------------------------------------------------------------------


def test_answers_are_raw_pairs_with_braced_groups() -> None:
    assert parse_answer("a=1&b={c=2&d=3}&e=x==\r\n") == {"a": "1", "b": "{c=2&d=3}", "e": "x=="}
    assert signing_string({"b": "2", "a": "", "signature": "s"}) == "a=&b=2"
    for broken in ("a=1&a=2", "=1", "a=1&b={", "a=}", "novalue"):
        with pytest.raises(ValueError):
            parse_answer(broken)


def test_settings_are_refused_when_incomplete_or_wrong(unionpay_files: dict[str, str], tmp_path: Path) -> None:
    config = unionpay_config(unionpay_files)
    assert UnionPaySettings.from_settings(build_settings(config)).signer.cert_id == str(MERCHANT_CERT_SERIAL)
    for missing in (
        "UNIONPAY_MER_ID",
        "UNIONPAY_SIGN_CERT_PASSWORD",
        "UNIONPAY_MIDDLE_CERT_FILE",
        "UNIONPAY_FRONT_URL",
    ):
        with pytest.raises(ProviderNotConfigured, match=missing):
            UnionPaySettings.from_settings(build_settings(config | {missing: ""}))
    with pytest.raises(ProviderNotConfigured) as wrong_password:
        UnionPaySettings.from_settings(build_settings(config | {"UNIONPAY_SIGN_CERT_PASSWORD": "not-the-password"}))
    assert "not-the-password" not in str(wrong_password.value)
    foreign_root = write(tmp_path, "root.cer", pem(unionpay_pki().foreign_chain.root).encode())
    with pytest.raises(ProviderNotConfigured, match="not issued by the configured root"):
        UnionPaySettings.from_settings(build_settings(config | {"UNIONPAY_ROOT_CERT_FILE": foreign_root}))
    with pytest.raises(ProviderNotConfigured):
        build_provider("unionpay_qr", build_settings(config | {"PAYMENT_CHANNELS": "alipay_qr"}))


def test_a_signer_name_other_than_the_setting_is_refused(
    unionpay_fake: FakeUnionPay, unionpay_files: dict[str, str]
) -> None:
    config = unionpay_config(unionpay_files, unionpay_fake.url) | {"UNIONPAY_SIGNER_NAME": "某某科技有限公司"}
    provider = UnionPayProvider(UnionPaySettings.from_settings(build_settings(config)))
    with pytest.raises(ProviderError) as raised:
        _qr(provider)
    assert raised.value.code == ErrorCode.RESPONSE_SIGNATURE_INVALID
    wrong_org = unionpay_fake.sign_notify(unionpay_fake.notify_fields(TRADE), signer=unionpay_pki().wrong_org_signer)
    assert isinstance(provider.parse_callback({}, wrong_org[1], now=LATER), PaymentSucceeded)


def test_production_refuses_unionpay_without_its_settings(unionpay_files: dict[str, str]) -> None:
    base = {
        "ENV": "production",
        "SECRET_KEY": "x" * 40,
        "WECHAT_LOGIN_CLIENT": "http",
        "SMS_CHANNEL": "webhook",
        "EMAIL_CHANNEL": "smtp",
        "PASSWORD_HASH_PROFILE": "owasp",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "UNIONPAY_SIGNER_NAME": "中国银联股份有限公司",
        "UNIONPAY_GATEWAY": "https://gateway.95516.com",
    }
    complete = base | unionpay_config(unionpay_files)
    check_production(complete)
    with pytest.raises(ConfigError, match="GROUPBUY_UNIONPAY_SIGN_CERT_FILE"):
        check_production(complete | {"UNIONPAY_SIGN_CERT_FILE": ""})
    with pytest.raises(ConfigError, match="GROUPBUY_UNIONPAY_FRONT_URL"):
        check_production(complete | {"UNIONPAY_FRONT_URL": ""})
    check_production(complete | {"PAYMENT_CHANNELS": "unionpay_qr", "UNIONPAY_FRONT_URL": ""})
    check_production(base | {"PAYMENT_CHANNELS": "alipay_qr"})  # UnionPay off: nothing asked of it


def test_settings_hide_the_signing_key() -> None:
    fields = {f.name: f.repr for f in dataclasses.fields(UnionPaySettings)}
    assert fields["signer"] is False


def test_a_second_consume_of_the_same_order_id_is_number_used(
    unionpay: UnionPayProvider, unionpay_fake: FakeUnionPay
) -> None:
    _qr(unionpay)
    with pytest.raises(ProviderError) as again:
        _qr(unionpay)
    assert (again.value.code, again.value.provider_code, again.value.retryable) == (ErrorCode.NUMBER_USED, "12", False)


def test_the_app_refuses_to_start_in_production_with_unionpay_incomplete() -> None:
    production = {
        "ENV": "production",
        "DATABASE_URL": "sqlite://",
        "SECRET_KEY": "x" * 40,
        "WECHAT_LOGIN_CLIENT": "http",
        "SMS_CHANNEL": "webhook",
        "EMAIL_CHANNEL": "smtp",
        "PAYMENT_CHANNELS": "alipay_qr,unionpay_qr",
        "UNIONPAY_MER_ID": UNIONPAY_MER_ID,
    }
    with pytest.raises(ConfigError, match="GROUPBUY_UNIONPAY_SIGN_CERT_PASSWORD"):
        create_app(production)
    assert {"UNIONPAY_SIGN_CERT_FILE", "UNIONPAY_SIGN_CERT_PASSWORD"} <= SECRET_KEYS
