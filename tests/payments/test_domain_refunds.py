"""Refunds: Σ refunds ≤ paid (atomically, also under concurrency), a stable out_refund_no reused by every retry,
failures kept and retried with back-off, the orders hand-off (refunding → refunded) honoured (invariant 4)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from groupbuy import clock
from groupbuy.accounts.enums import Role
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import OrderTimelineEvent
from groupbuy.orders.service import finish_refunding_order, record_order_refund
from groupbuy.payments import jobs
from groupbuy.payments.enums import RefundSource, RefundState
from groupbuy.payments.models import Refund
from groupbuy.payments.providers import ProviderRefundStatus, RefundResult
from groupbuy.payments.service import refund, request_refund
from groupbuy.payments.service.refunds import record_refund_result
from tests.factories.accounts import bearer, make_user
from tests.factories.market import Shop
from tests.fakes.alipay_server import FakeAlipay
from tests.fakes.http_server import Fault
from tests.fakes.wechatpay_server import FakeWeChatPay
from tests.payments.domain import NOTIFY_AT, PAY_AT, ShopperOrder, notify, order_of, payment_of, place_order, start

Fakes = tuple[FakeWeChatPay, FakeAlipay]
LATER = NOTIFY_AT + timedelta(minutes=5)


def _paid_by_sandbox(shop: Shop, client: FlaskClient, app: Flask, price_fen: int = 1000) -> tuple[ShopperOrder, int]:
    order = place_order(shop, client, price_fen=price_fen)
    payment = start(client, order, "sandbox")
    with clock.frozen(NOTIFY_AT):
        client.post("/pay/sandbox/" + payment["code_url"].rsplit("/", 1)[1], data={"result": "success"})
    assert order_of(app, order.id).status is OrderStatus.PAID
    return order, payment["payment_id"]


def _paid_by_wechat(shop: Shop, client: FlaskClient, wechat: FakeWeChatPay, price_fen: int = 1990) -> ShopperOrder:
    order = place_order(shop, client, price_fen=price_fen)
    start(client, order, "wechat_native")
    with clock.frozen(NOTIFY_AT):
        headers, body = wechat.build_transaction_notification(f"{order.order_no}W1", now=NOTIFY_AT)
        assert notify(client, "wechat", headers, body).status_code == 204
    return order


def _cancel(client: FlaskClient, order: ShopperOrder) -> None:
    with clock.frozen(NOTIFY_AT):
        response = client.post(f"/api/v1/orders/{order.id}/cancel", headers=order.headers)
    assert response.json["status"] == "refunding"


def _refunds(app: Flask, order_id: int) -> list[Refund]:
    with app.app_context():
        rows = list(db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)))
        db.session.expunge_all()
        return rows


def test_cancellation_hand_off_is_refunded_once(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order, payment_id = _paid_by_sandbox(shop, client, app)
    _cancel(client, order)

    with app.app_context():
        first = jobs.retry_refunds(LATER)
        second = jobs.retry_refunds(LATER + timedelta(hours=1))

    assert first["due_requested"] == 1 and second["due_requested"] == 0
    (only,) = _refunds(app, order.id)
    assert (only.status, only.amount_fen, only.source) == (RefundState.SUCCEEDED, 1000, RefundSource.CANCELLATION)
    assert only.out_refund_no == payment_of(app, payment_id).out_trade_no + "R01"
    settled = order_of(app, order.id)
    assert (settled.status, settled.refunded_fen, settled.refund_due_fen) == (OrderStatus.REFUNDED, 1000, 1000)
    with app.app_context():
        done = db.session.scalar(
            select(func.count()).where(
                OrderTimelineEvent.order_id == order.id, OrderTimelineEvent.event == "refund_done"
            )
        )
    assert done == 1


def test_refunds_never_exceed_what_was_paid(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order, payment_id = _paid_by_sandbox(shop, client, app, price_fen=1000)
    with app.app_context():
        for key in ("a", "b"):
            refund(
                order_id=order.id,
                amount_fen=400,
                reason="缺货",
                source=RefundSource.SHORTAGE,
                now=LATER,
                request_key=key,
            )
        with pytest.raises(Conflict) as refused:
            refund(order_id=order.id, amount_fen=201, reason="缺货", source=RefundSource.SHORTAGE, now=LATER)
        again = refund(
            order_id=order.id, amount_fen=400, reason="缺货", source=RefundSource.SHORTAGE, now=LATER, request_key="a"
        )
    assert refused.value.code == "refund_exceeds_paid"
    assert again.out_refund_no.endswith("R01")  # same request key: the same refund, not a third
    assert payment_of(app, payment_id).refunded_fen == 800
    assert [r.amount_fen for r in _refunds(app, order.id)] == [400, 400]
    assert order_of(app, order.id).refunded_fen == 800


def test_refund_amounts_must_be_positive_integers(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order, _ = _paid_by_sandbox(shop, client, app)
    with app.app_context():
        for amount in (0, -1, 1.5, True):
            with pytest.raises(Conflict):
                refund(
                    order_id=order.id, amount_fen=amount, reason="x", source=RefundSource.CUSTOMER_SERVICE, now=LATER
                )  # type: ignore[arg-type]
    assert _refunds(app, order.id) == []


@pytest.mark.pg
@pytest.mark.parametrize("round_", range(5))
def test_concurrent_refund_requests_never_exceed_paid(
    shop: Shop, client: FlaskClient, app: Flask, busy_app: Flask, round_: int
) -> None:
    order, payment_id = _paid_by_sandbox(shop, client, app, price_fen=1000)
    barrier, outcomes, lock = threading.Barrier(10), [], threading.Lock()

    def ask(index: int) -> None:
        with busy_app.app_context():
            barrier.wait()
            try:
                refund(
                    order_id=order.id,
                    amount_fen=300,
                    reason="售后",
                    source=RefundSource.AFTER_SALE,
                    now=LATER,
                    request_key=f"after-sale-{index}",
                )
                result = "ok"
            except Conflict as exc:
                result = exc.code
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] * 3 + ["refund_exceeds_paid"] * 7
    refunds = _refunds(app, order.id)
    assert sum(r.amount_fen for r in refunds) == 900 <= 1000
    assert len({r.out_refund_no for r in refunds}) == 3
    assert payment_of(app, payment_id).refunded_fen == 900
    assert order_of(app, order.id).refunded_fen == 900


def test_a_timing_out_refund_is_retried_with_the_same_number_until_it_lands(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    wechat.refund_status_on_create = "SUCCESS"
    order = _paid_by_wechat(shop, client, wechat)
    _cancel(client, order)
    wechat.faults.add(Fault("timeout", endpoint="refund"), times=5)  # the fake refunds, then never answers

    now, history = LATER, []
    with app.app_context():
        history.append(jobs.retry_refunds(now))
        for _ in range(5):
            (pending,) = _refunds(app, order.id)
            assert pending.status is RefundState.PENDING and pending.last_error == "TIMEOUT: no answer in time"
            assert jobs.retry_refunds(pending.next_attempt_at - timedelta(seconds=1))["retried"] == 0  # back-off
            now = pending.next_attempt_at
            history.append(jobs.retry_refunds(now))

    calls = wechat.calls_to("refund")
    assert len(calls) == 6 and {call.body["out_refund_no"] for call in calls} == {f"{order.order_no}W1R01"}
    assert list(wechat.refunds) == [f"{order.order_no}W1R01"]
    (landed,) = _refunds(app, order.id)
    assert (landed.status, landed.attempts) == (RefundState.SUCCEEDED, 6)
    assert now - LATER == timedelta(minutes=1 + 2 + 4 + 8 + 16)
    assert order_of(app, order.id).status is OrderStatus.REFUNDED
    assert history[0]["due_requested"] == 1 and history[-1]["succeeded"] == 1


def test_refund_notification_settles_a_processing_refund(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    order = _paid_by_wechat(shop, client, wechat)
    _cancel(client, order)
    with app.app_context():
        jobs.retry_refunds(LATER)
    assert _refunds(app, order.id)[0].status is RefundState.PROCESSING
    assert order_of(app, order.id).status is OrderStatus.REFUNDING

    number = f"{order.order_no}W1R01"
    wechat.settle_refund(number)
    delivery = wechat.build_refund_notification(number, now=LATER)
    with clock.frozen(LATER):
        answers = [notify(client, "wechat", *delivery).status_code for _ in range(3)]

    assert answers == [204] * 3
    settled = order_of(app, order.id)
    assert (settled.status, settled.refunded_fen) == (OrderStatus.REFUNDED, 1990)
    assert _refunds(app, order.id)[0].provider_refund_id == wechat.refunds[number].refund_id


def test_refused_refunds_are_shown_to_cs_and_still_retried(
    shop: Shop, client: FlaskClient, app: Flask, payments_on: Fakes
) -> None:
    wechat, _ = payments_on
    wechat.refund_status_on_create = "SUCCESS"
    order = _paid_by_wechat(shop, client, wechat)
    _cancel(client, order)
    wechat.faults.add(Fault("error", endpoint="refund", status=403, code="NO_AUTH", message="no refund right"))
    with app.app_context():
        jobs.retry_refunds(LATER)
        cs, shopper = bearer(make_user(Role.CS)), bearer(make_user())

    listed = client.get("/api/v1/cs/refunds?status=failed", headers=cs)
    assert listed.status_code == 200 and listed.json["total"] == 1
    item = listed.json["items"][0]
    assert (item["status"], item["attempts"], item["order_id"]) == ("failed", 1, order.id)
    assert item["last_error"].startswith("AUTH_FAILED") and item["out_refund_no"] == f"{order.order_no}W1R01"
    assert client.get("/api/v1/cs/refunds?status=failed", headers=shopper).status_code == 403
    assert client.get("/api/v1/cs/refunds").status_code == 401
    assert client.get("/api/v1/cs/refunds?status=succeeded", headers=cs).json["total"] == 0

    with app.app_context():
        assert jobs.retry_refunds(LATER + timedelta(minutes=30))["retried"] == 0  # refusals wait an hour
        assert jobs.retry_refunds(LATER + timedelta(hours=1))["succeeded"] == 1
    assert order_of(app, order.id).status is OrderStatus.REFUNDED


def test_closed_by_the_provider_a_successor_takes_over(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order, payment_id = _paid_by_sandbox(shop, client, app)
    with app.app_context(), transaction():  # inside a transaction: recorded, not sent
        first = refund(order_id=order.id, amount_fen=300, reason="售后", source=RefundSource.AFTER_SALE, now=LATER)
    assert first.status is RefundState.PENDING
    with app.app_context():
        record_refund_result(
            refund_id=first.id,
            result=RefundResult(out_refund_no=first.out_refund_no, status=ProviderRefundStatus.CLOSED, refund_fen=300),
            now=LATER,
        )
        jobs.retry_refunds(LATER)

    old, successor = _refunds(app, order.id)
    assert old.status is RefundState.CLOSED
    assert (successor.replaces_id, successor.amount_fen, successor.status) == (old.id, 300, RefundState.SUCCEEDED)
    assert successor.out_refund_no != old.out_refund_no
    assert payment_of(app, payment_id).refunded_fen == 300 and order_of(app, order.id).refunded_fen == 300


def test_an_abnormal_refund_is_failed_for_cs(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order, _ = _paid_by_sandbox(shop, client, app)
    with app.app_context():
        pending = request_refund(
            order_id=order.id, amount_fen=100, reason="x", source=RefundSource.CUSTOMER_SERVICE, now=LATER, actor="cs:1"
        )
        stuck = record_refund_result(
            refund_id=pending.id,
            result=RefundResult(
                out_refund_no=pending.out_refund_no, status=ProviderRefundStatus.ABNORMAL, refund_fen=100
            ),
            now=LATER,
        )
    assert stuck.status is RefundState.FAILED and stuck.last_error and "ABNORMAL" in stuck.last_error


def test_record_order_refund_counts_once_and_never_past_paid(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order, _ = _paid_by_sandbox(shop, client, app, price_fen=1000)
    _cancel(client, order)
    now: datetime = LATER
    with app.app_context():
        assert record_order_refund(order_id=order.id, amount_fen=600, now=now).status is OrderStatus.REFUNDING
        with pytest.raises(Conflict) as refused:
            record_order_refund(order_id=order.id, amount_fen=401, now=now)
        assert refused.value.code == "refund_exceeds_paid"
        assert record_order_refund(order_id=order.id, amount_fen=400, now=now).status is OrderStatus.REFUNDED
        assert finish_refunding_order(order_id=order.id, now=now).status is OrderStatus.REFUNDED
    assert order_of(app, order.id).refunded_fen == 1000


def test_nothing_to_refund_without_a_payment(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    with app.app_context(), pytest.raises(Conflict) as refused:
        refund(order_id=order.id, amount_fen=100, reason="x", source=RefundSource.CUSTOMER_SERVICE, now=PAY_AT)
    assert refused.value.code == "nothing_to_refund"


def test_only_settled_payments_are_refunded(shop: Shop, client: FlaskClient, app: Flask) -> None:
    order = place_order(shop, client)
    pending = start(client, order, "sandbox")["payment_id"]
    with app.app_context(), pytest.raises(Conflict) as refused:
        refund(payment_id=pending, amount_fen=100, reason="x", source=RefundSource.CUSTOMER_SERVICE, now=PAY_AT)
    assert refused.value.code == "payment_not_refundable"
    assert payment_of(app, pending).refunded_fen == 0
