from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fakes.senders import RecordingSender, install_recording_senders


@pytest.fixture
def outbox(app: Flask) -> RecordingSender:
    return install_recording_senders(app)


def send_code(
    client: FlaskClient, target: str, purpose: str = "register", channel: str | None = None, **kwargs: object
):  # type: ignore[no-untyped-def]
    channel = channel or ("email" if "@" in target else "sms")
    return client.post(
        "/api/v1/auth/verification-codes", json={"channel": channel, "target": target, "purpose": purpose}, **kwargs
    )


def register(client: FlaskClient, outbox: RecordingSender, phone: str = "13800138000", password: str = "CooigHello290"):  # type: ignore[no-untyped-def]
    assert send_code(client, phone).status_code == 202
    return client.post(
        "/api/v1/auth/register", json={"phone": phone, "password": password, "code": outbox.last_code(phone)}
    )
