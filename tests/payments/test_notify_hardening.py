"""The notify URLs are open to anyone: disabled providers and junk are answered without storing, per-IP limited,
and what is stored is pruned after the retention unless still needed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from groupbuy import clock
from groupbuy.db import db, transaction
from groupbuy.jobs.scheduler import JOBS_BY_ID, run_scheduled_job
from groupbuy.payments.enums import CallbackOutcome, PaymentStatus
from groupbuy.payments.models import Payment, PaymentCallback, ProcessedPaymentEvent
from groupbuy.payments.providers import PaymentChannel, ProviderName, TradeStatus, provider_for
from tests.conftest import tune
from tests.factories.market import Shop
from tests.payments.conftest import REAL_CHANNELS, alipay_config, install_providers, wechat_config
from tests.payments.domain import NOTIFY_AT, count, payment_of, place_order, raw_notifications, start

JUNK = b"x" * 190_000  # the flood: ~190 KB of nothing per request


@pytest.mark.parametrize("provider", ["alipay", "wechat"])
def test_a_flood_on_a_disabled_provider_stores_nothing(client: FlaskClient, app: Flask, provider: str) -> None:
    answers = [client.post(f"/api/v1/payments/notify/{provider}", data=JUNK) for _ in range(100)]

    assert [a.status_code for a in answers] == [404] * 100
    assert answers[0].json == {"code": "FAIL", "message": "provider not enabled"}
    assert raw_notifications(app) == 0


def test_junk_to_an_enabled_provider_is_refused_unstored_and_rate_limited(client: FlaskClient, app: Flask) -> None:
    tune(app, payment_notify_rate_limit="60 per minute")
    answers = [client.post("/api/v1/payments/notify/sandbox", data=JUNK) for _ in range(100)]

    assert [a.status_code for a in answers] == [400] * 60 + [429] * 40
    assert answers[0].json == {"code": "FAIL", "message": "invalid notification"}
    assert answers[-1].headers.get("Retry-After")
    assert raw_notifications(app) == 0


SANDBOX_HEADERS = {"Sandbox-Signature": "ab" * 32, "Sandbox-Timestamp": "1795000000", "Sandbox-Nonce": "n" * 16}
WECHAT_HEADERS = {
    "Wechatpay-Signature": "c2lnbmF0dXJl",
    "Wechatpay-Timestamp": "1795000000",
    "Wechatpay-Nonce": "nonce",
    "Wechatpay-Serial": "PUB_KEY_ID_0001",
}
WECHAT_ENVELOPE = {
    "id": "EV-1",
    "create_time": "2026-11-22T12:02:00+08:00",
    "event_type": "TRANSACTION.SUCCESS",
    "resource_type": "encrypt-resource",
    "resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": "AAAA", "nonce": "123456789012"},
}
SANDBOX_ENVELOPE = {"id": "SBEV-1", "event_type": "TRANSACTION.SUCCESS", "out_trade_no": "GB20261122000001S1"}


@pytest.mark.parametrize(
    ("provider", "headers", "body", "status"),
    [
        ("sandbox", SANDBOX_HEADERS, b"{not json", 400),
        ("sandbox", SANDBOX_HEADERS, b"[]", 400),
        ("sandbox", SANDBOX_HEADERS, json.dumps({"id": "x", "event_type": "y"}).encode(), 400),
        ("sandbox", SANDBOX_HEADERS, json.dumps({**SANDBOX_ENVELOPE, "pad": "x" * 17_000}).encode(), 400),
        ("sandbox", SANDBOX_HEADERS, b"", 400),
        ("sandbox", {}, json.dumps(SANDBOX_ENVELOPE).encode(), 401),
        ("wechat", WECHAT_HEADERS, json.dumps({**WECHAT_ENVELOPE, "resource": "flat"}).encode(), 400),
        ("wechat", WECHAT_HEADERS, b"a=b", 400),
        ("wechat", {**WECHAT_HEADERS, "Wechatpay-Serial": ""}, json.dumps(WECHAT_ENVELOPE).encode(), 401),
        ("alipay", {}, b"notify_id=1&sign=x&sign_type=RSA2", 400),
        ("alipay", {}, b"notify_id=1&out_trade_no=GB1&sign_type=RSA2", 401),
        ("alipay", {}, json.dumps(SANDBOX_ENVELOPE).encode(), 400),
    ],
    ids=[
        "sandbox not json",
        "sandbox not an object",
        "sandbox keys missing",
        "sandbox over the size cap",
        "sandbox empty",
        "sandbox unsigned",
        "wechat resource not an object",
        "wechat a form",
        "wechat serial empty",
        "alipay no out_trade_no",
        "alipay no sign",
        "alipay json",
    ],
)
def test_the_shape_check_stores_nothing(
    client: FlaskClient,
    app: Flask,
    key_files: dict[str, str],
    provider: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    install_providers(app, wechat_config(key_files) | alipay_config(key_files) | {"PAYMENT_CHANNELS": REAL_CHANNELS})
    answer = client.post(f"/api/v1/payments/notify/{provider}", data=body, headers=headers)
    assert answer.status_code == status
    assert raw_notifications(app) == 0


def test_right_shape_is_stored_then_verified(client: FlaskClient, app: Flask) -> None:
    answer = client.post(
        "/api/v1/payments/notify/sandbox", data=json.dumps(SANDBOX_ENVELOPE).encode(), headers=SANDBOX_HEADERS
    )
    assert answer.status_code == 401  # a forged signature: kept as evidence, refused
    with app.app_context():
        stored = db.session.query(PaymentCallback).one()
        assert stored.outcome is CallbackOutcome.REJECTED


def test_genuine_notifications_pass_from_another_address_while_one_is_limited(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    tune(app, payment_notify_rate_limit="5 per minute")
    order = place_order(shop, client, price_fen=500)
    payment = start(client, order, "sandbox")
    trade = payment_of(app, payment["payment_id"]).out_trade_no
    with app.app_context():
        headers, body = provider_for(PaymentChannel.SANDBOX).build_callback(trade, 500, TradeStatus.SUCCESS, NOTIFY_AT)
    flooder = {"REMOTE_ADDR": "203.0.113.9"}
    with clock.frozen(NOTIFY_AT):
        junk = [client.post("/api/v1/payments/notify/sandbox", data=b"{}", environ_base=flooder) for _ in range(8)]
        genuine = client.post("/api/v1/payments/notify/sandbox", data=body, headers=headers)

    assert [a.status_code for a in junk] == [400] * 5 + [429] * 3
    assert genuine.status_code == 204
    assert payment_of(app, payment["payment_id"]).status is PaymentStatus.PAID
    assert raw_notifications(app) == 1


def _add(app: Flask, outcome: CallbackOutcome, age_days: int, payment_id: int | None = None) -> int:
    with app.app_context(), transaction():
        row = PaymentCallback(
            provider="sandbox",
            received_at=NOTIFY_AT - timedelta(days=age_days),
            headers={},
            body=b"{}",
            body_truncated=False,
            outcome=outcome,
            payment_id=payment_id,
        )
        db.session.add(row)
        db.session.flush()
        return row.id


def test_the_prune_job_deletes_old_settled_notifications_and_keeps_the_needed(
    shop: Shop, client: FlaskClient, app: Flask
) -> None:
    tune(app, payment_notification_retention_days=30)
    tune(app, job_batch_size=2)  # several batches
    order = place_order(shop, client, price_fen=500)
    flagged_payment = start(client, order, "sandbox")["payment_id"]
    with app.app_context(), transaction():
        db.session.get_one(Payment, flagged_payment).status = PaymentStatus.FLAGGED
    pruned = [_add(app, outcome, 31) for outcome in ("rejected", "duplicate", "ignored", "no_change", "applied")]
    with app.app_context(), transaction():
        db.session.add(
            ProcessedPaymentEvent(
                provider=ProviderName.SANDBOX, event_id="EV-OLD", notification_id=pruned[-1], processed_at=NOTIFY_AT
            )
        )
    kept = [
        _add(app, CallbackOutcome.REJECTED, 29),  # younger than the retention
        *(_add(app, outcome, 400) for outcome in ("received", "flagged", "late_payment", "unknown_trade")),
        _add(app, CallbackOutcome.APPLIED, 400, payment_id=flagged_payment),  # its payment is flagged
    ]

    outcome = run_scheduled_job(app, JOBS_BY_ID["prune_payment_notifications"], NOTIFY_AT)
    again = run_scheduled_job(app, JOBS_BY_ID["prune_payment_notifications"], NOTIFY_AT)

    assert outcome.counts == {"notifications_pruned": 5}, outcome
    assert again.counts == {"notifications_pruned": 0}
    with app.app_context():
        left = set(db.session.scalars(db.select(PaymentCallback.id)))
        assert left == set(kept)
    assert count(app, ProcessedPaymentEvent, ProcessedPaymentEvent.event_id == "EV-OLD") == 1  # dedupe stays
