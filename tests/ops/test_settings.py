"""Typed settings checked once at start, and the registry of outside implementations built from them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from flask import Flask

import groupbuy
from groupbuy import create_app
from groupbuy.accounts.wechat import WECHAT_LOGIN, FakeWeChatLoginClient, HttpWeChatLoginClient
from groupbuy.config import SECRET_KEYS, ConfigError
from groupbuy.implementations import build_registry
from groupbuy.notifications.enums import Transport
from groupbuy.notifications.senders.base import SENDERS
from groupbuy.notifications.senders.console import ConsoleSender
from groupbuy.notifications.senders.email import SmtpEmailSender
from groupbuy.notifications.senders.miniapp import WeChatSubscribeSender
from groupbuy.notifications.senders.sms import WebhookSmsSender
from groupbuy.payments.providers import PAYMENT_PROVIDERS, PaymentChannel, SandboxProvider
from groupbuy.registry import registry
from groupbuy.settings import PAYMENT_CHANNEL_NAMES, Settings, build_settings, settings
from tests.conftest import SANDBOX_SIGNING_KEY, swap, tune

WIRING = {"__init__.py", "config.py", "settings.py", "extensions.py", "registry.py", "implementations.py"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("JOB_BATCH_SIZE", 0, "GROUPBUY_JOB_BATCH_SIZE must be at least 1"),
        ("JOB_BATCH_SIZE", "many", "GROUPBUY_JOB_BATCH_SIZE: "),
        ("SMTP_PORT", 70000, "GROUPBUY_SMTP_PORT must be at most 65535"),
        ("DB_POOL_PRE_PING", "maybe", "GROUPBUY_DB_POOL_PRE_PING: expected true or false"),
        ("DELIVERY_FEE_REFUND", "sometimes", "GROUPBUY_DELIVERY_FEE_REFUND must be whole_order / never"),
        ("PAYMENT_CHANNELS", "sandbox,bitcoin", "GROUPBUY_PAYMENT_CHANNELS must be wechat_native"),
        ("MINIAPP_CHANNEL", "pigeon", "GROUPBUY_MINIAPP_CHANNEL must be console / wechat / off"),
        ("AUTH_RATE_LIMIT", "lots", "GROUPBUY_AUTH_RATE_LIMIT must be a rate limit"),
        ("HTTP_TIMEOUT_SECONDS", 0, "GROUPBUY_HTTP_TIMEOUT_SECONDS must be at least"),
        ("WECHAT_SUBSCRIBE_TEMPLATES", "[1]", "GROUPBUY_WECHAT_SUBSCRIBE_TEMPLATES: expected a JSON object"),
    ],
)
def test_an_invalid_value_stops_the_start_naming_the_variable(name: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        create_app({"DATABASE_URL": "sqlite://", "ENV": "test", name: value})


def test_environment_values_are_typed_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GROUPBUY_JOB_BATCH_SIZE", "25")
    monkeypatch.setenv("GROUPBUY_BANNED_WORDS", "秒杀, 爆款")
    monkeypatch.setenv("GROUPBUY_DB_POOL_PRE_PING", "true")
    monkeypatch.setenv("GROUPBUY_WECHATPAY_MCHID", "1900000109")  # JSON-parsed to an int by Flask: text here
    monkeypatch.setenv("GROUPBUY_LOG_LEVEL", "warning")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "ENV": "test"})
    with app.app_context():
        current = settings()
    assert current.job_batch_size == 25
    assert current.banned_words == ("秒杀", "爆款")
    assert current.db_pool_pre_ping is True
    assert current.wechatpay_mchid == "1900000109"
    assert current.log_level == "WARNING"
    monkeypatch.setenv("GROUPBUY_OUTBOX_MAX_ATTEMPTS", "-1")
    with pytest.raises(ConfigError, match="GROUPBUY_OUTBOX_MAX_ATTEMPTS"):
        create_app({"DATABASE_URL": "sqlite://", "ENV": "test"})


def test_settings_are_frozen_and_hide_their_secrets() -> None:
    current = build_settings({"SECRET_KEY": "s3cret-value-" * 3, "SMTP_PASSWORD": "smtp-pass-123"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        current.job_batch_size = 1  # type: ignore[misc]
    shown = repr(current)
    assert "s3cret-value-" not in shown and "smtp-pass-123" not in shown
    assert "secret_key=<hidden>" in shown and "job_batch_size=500" in shown
    assert {"SECRET_KEY", "SMTP_PASSWORD", "WECHAT_SECRET", "SANDBOX_SIGNING_KEY"} <= SECRET_KEYS
    with pytest.raises(ConfigError, match="GROUPBUY_SMTP_PASSWORD: expected text") as caught:
        build_settings({"SMTP_PASSWORD": ["smtp-pass-123"]})
    assert "smtp-pass-123" not in str(caught.value)


def test_payment_channel_names_are_the_payment_channels() -> None:
    assert set(PAYMENT_CHANNEL_NAMES) == {channel.value for channel in PaymentChannel}


def test_tune_checks_like_the_start(app: Flask) -> None:
    with pytest.raises(ConfigError, match="GROUPBUY_MAX_ADDRESSES"):
        tune(app, max_addresses=0)
    assert tune(app, max_addresses=3).max_addresses == 3


def test_no_service_reads_flask_config() -> None:
    """Only the app wiring touches app.config; services read settings() and registry()."""
    package = Path(groupbuy.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name not in WIRING and re.search(r"current_app\.config|current_app\.extensions\[", path.read_text())
    ]
    assert offenders == []


def test_the_registry_holds_what_the_settings_choose() -> None:
    chosen = Settings(
        env="test",
        sandbox_signing_key=SANDBOX_SIGNING_KEY,
        sms_channel="webhook",
        sms_webhook_url="https://sms.example.com/send",
        email_channel="smtp",
        miniapp_channel="wechat",
        wechat_login_client="http",
    )
    built = build_registry(chosen)
    assert isinstance(built.get(SENDERS, Transport.SMS.value), WebhookSmsSender)
    assert isinstance(built.get(SENDERS, Transport.EMAIL.value), SmtpEmailSender)
    assert isinstance(built.get(SENDERS, Transport.MINIAPP.value), WeChatSubscribeSender)
    assert isinstance(built.get(WECHAT_LOGIN), HttpWeChatLoginClient)
    assert built.keys(PAYMENT_PROVIDERS) == ["sandbox"]
    development = build_registry(Settings(sandbox_signing_key=SANDBOX_SIGNING_KEY))
    assert all(isinstance(development.get(SENDERS, t.value), ConsoleSender) for t in Transport)
    assert isinstance(development.get(WECHAT_LOGIN), FakeWeChatLoginClient)


def test_a_swapped_entry_lasts_one_test(app: Flask) -> None:
    fake = FakeWeChatLoginClient()
    swap(app, WECHAT_LOGIN, fake)
    swap(app, PAYMENT_PROVIDERS, None, "sandbox")
    with app.app_context():
        assert registry().get(WECHAT_LOGIN) is fake
        assert registry().find(PAYMENT_PROVIDERS, "sandbox") is None


def test_and_is_gone_in_the_next(app: Flask) -> None:
    with app.app_context():
        assert isinstance(registry().get(PAYMENT_PROVIDERS, "sandbox"), SandboxProvider)
        assert isinstance(registry().get(WECHAT_LOGIN), FakeWeChatLoginClient)


def test_every_setting_is_in_the_reference() -> None:
    reference = (Path(groupbuy.__file__).parent.parent / "docs" / "configuration.md").read_text()
    missing = [
        f"GROUPBUY_{spec.name.upper()}"
        for spec in dataclasses.fields(Settings)
        if f"| `GROUPBUY_{spec.name.upper()}` |" not in reference
    ]
    assert missing == []


def test_the_reference_names_each_setting_once_and_nothing_else() -> None:
    reference = (Path(groupbuy.__file__).parent.parent / "docs" / "configuration.md").read_text()
    rows = re.findall(r"^\| `(GROUPBUY_[A-Z0-9_]+)` \|", reference, flags=re.M)
    known = {f"GROUPBUY_{spec.name.upper()}" for spec in dataclasses.fields(Settings)}
    assert sorted(name for name in set(rows) if rows.count(name) > 1) == []
    assert sorted(set(rows) - known) == []
