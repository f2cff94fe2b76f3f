"""Outbox delivery: capped exponential back-off, permanent errors stop, nothing is sent twice."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from groupbuy.db import db
from groupbuy.notifications.enums import OutboxStatus
from groupbuy.notifications.models import OutboxMessage
from groupbuy.notifications.service import claim_due_messages
from tests.conftest import tune
from tests.factories.market import T0
from tests.factories.notifications import outbox_message
from tests.fakes.senders import PermanentSendError, RecordingSender, TransientSendError, install_recording_senders
from tests.jobs.conftest import run


def _message(app: Flask, message_id: int) -> OutboxMessage:
    with app.app_context():
        message = db.session.get_one(OutboxMessage, message_id)
        db.session.expunge(message)
        return message


def _deliver(app: Flask, at_seconds: float) -> dict[str, int]:
    return run(app, "deliver_notifications", T0 + timedelta(seconds=at_seconds))


def test_transient_failures_back_off_exponentially_up_to_the_cap(app: Flask) -> None:
    recorder = install_recording_senders(app)
    recorder.fail_next = [TransientSendError("gateway 502") for _ in range(4)]
    tune(app, outbox_max_backoff_seconds=100)
    with app.app_context():
        message_id = outbox_message(now=T0)

    waits, at = [], 0.0
    for _ in range(4):
        assert _deliver(app, at)["retrying"] == 1
        message = _message(app, message_id)
        waits.append((message.next_attempt_at - (T0 + timedelta(seconds=at))).total_seconds())
        assert _deliver(app, at + waits[-1] - 1) == {"token_refreshed": 0, "sent": 0, "retrying": 0, "failed": 0}
        at += waits[-1]
    assert waits == [30, 60, 100, 100]
    assert _deliver(app, at)["sent"] == 1
    message = _message(app, message_id)
    assert (message.status, message.attempts, message.claim_token) == (OutboxStatus.SENT, 5, None)
    assert len(recorder.sent) == 1
    assert _deliver(app, at + 3600)["sent"] == 0
    assert len(recorder.sent) == 1


def test_a_permanent_error_is_not_retried(app: Flask) -> None:
    recorder = install_recording_senders(app)
    recorder.fail_next = [PermanentSendError("recipient refused")]
    with app.app_context():
        message_id = outbox_message(now=T0)
    assert _deliver(app, 0)["failed"] == 1
    for later in (60, 3600, 86400):
        assert _deliver(app, later)["failed"] == 0
    message = _message(app, message_id)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 1)
    assert message.last_error == "permanent: recipient refused"
    assert recorder.sent == []


def test_retries_are_given_up_after_the_limit(app: Flask) -> None:
    recorder = install_recording_senders(app)
    recorder.fail_next = [TransientSendError("timeout") for _ in range(5)]
    tune(app, outbox_max_attempts=3)
    with app.app_context():
        message_id = outbox_message(now=T0)
    for day in range(5):
        _deliver(app, day * 86400)
    message = _message(app, message_id)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)
    assert message.last_error is not None and message.last_error.startswith("gave up after 3 attempts")


def test_delivering_twice_sends_each_message_once(app: Flask) -> None:
    recorder = install_recording_senders(app)
    with app.app_context():
        ids = [outbox_message(now=T0, target=f"u{i}@example.com") for i in range(7)]
    tune(app, outbox_batch_size=3)  # several batches in one run
    assert _deliver(app, 0)["sent"] == 7
    assert _deliver(app, 0)["sent"] == 0
    assert sorted(m.target for m in recorder.sent) == sorted(f"u{i}@example.com" for i in range(7))
    assert {_message(app, i).status for i in ids} == {OutboxStatus.SENT}


def test_a_leased_message_waits_for_its_deliverer_or_the_lease_to_run_out(app: Flask) -> None:
    recorder: RecordingSender = install_recording_senders(app)
    with app.app_context():
        message_id = outbox_message(now=T0)
        claimed, _token = claim_due_messages(now=T0, limit=10)  # a deliverer that then died
    assert claimed == [message_id]
    assert _deliver(app, 60)["sent"] == 0
    assert _deliver(app, 10 * 60)["sent"] == 1  # the lease (10 min) ran out: someone else delivers
    assert len(recorder.sent) == 1
