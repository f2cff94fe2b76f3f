"""Settings, read once from ``GROUPBUY_*`` environment variables; tests pass a mapping."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULT_SECRET_KEY = "dev-secret-change-me"  # noqa: S105 - refused in production by check_production()

DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "DATABASE_URL": None,  # None: sqlite file under instance/
    "REDIS_URL": None,
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "console",  # console | json
    # auth
    "TOKEN_TTL_HOURS": 24 * 7,
    "PASSWORD_HASH_PROFILE": "owasp",  # owasp | cheapest (tests only)
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "LOGIN_LOCK_MINUTES": 15,
    "AUTH_RATE_LIMIT": "30 per minute",
    "CODE_TTL_MINUTES": 10,
    "CODE_MAX_ATTEMPTS": 5,
    "CODE_RESEND_SECONDS": 60,
    "CODE_DAILY_CAP_PER_TARGET": 10,
    "CODE_DAILY_CAP_PER_IP": 50,
    # the outside world
    "WECHAT_LOGIN_CLIENT": "fake",  # fake | http
    "WECHAT_APPID": "",
    "WECHAT_SECRET": "",
    "WECHAT_API_BASE": "https://api.weixin.qq.com",
    "HTTP_TIMEOUT_SECONDS": 5.0,
    "SMS_CHANNEL": "console",  # console | webhook
    "SMS_WEBHOOK_URL": "",
    "EMAIL_CHANNEL": "console",  # console | smtp
    "SMTP_HOST": "",
    "SMTP_PORT": 465,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "",
    # addresses
    "MAX_ADDRESSES": 20,
    "BANNED_WORDS": ["最低价", "国家级", "假一赔十", "特效", "根治"],  # catalog: listings using one are held (seed 001)
    "MIN_DESCRIPTION_CHARS": 10,  # catalog: a shorter description (after stripping) holds the listing
    # orders
    "PAYMENT_WINDOW_MINUTES": 15,
    "MAX_ORDER_PAYABLE_FEN": 500_000,  # ¥5,000 per order (seed 003: configurable per-order limit)
    "DELIVERY_FEE_REFUND": "whole_order",  # whole_order: refunded with the order's last line | never
    # database pool (PostgreSQL)
    "DB_POOL_SIZE": 5,
    "DB_POOL_TIMEOUT": 5,
    # Ping each pooled connection on checkout: one extra round trip on EVERY request (~9% of a checkout).
    # Off, a connection the server dropped fails its first use as a 503 with Retry-After, and SQLAlchemy
    # then invalidates the whole pool (optimistic disconnect handling); turn on behind flaky networks.
    "DB_POOL_PRE_PING": False,
    "DB_LOCK_TIMEOUT_MS": 10_000,  # waiting this long for a row lock ends as a 503 with Retry-After
    "DB_STATEMENT_TIMEOUT_MS": 15_000,
    # payments (groupbuy.payments.providers; outbound calls use HTTP_TIMEOUT_SECONDS)
    # comma-separated: wechat_native, wechat_jsapi, alipay_qr, unionpay_qr, unionpay_h5, sandbox
    "PAYMENT_CHANNELS": "sandbox",
    "SANDBOX_SIGNING_KEY": "",  # empty (development): a random key made once per install, instance/sandbox_signing_key
    "WECHATPAY_MCHID": "",
    "WECHATPAY_APPID": "",
    "WECHATPAY_APIV3_KEY": "",
    "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE": "",
    "WECHATPAY_MERCHANT_SERIAL_NO": "",
    "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE": "",  # a PUB_KEY_ID_ public key, or a platform certificate
    "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": "",  # empty with a certificate: its serial is the id
    "WECHATPAY_NOTIFY_URL": "",
    "WECHATPAY_API_BASE": "https://api.mch.weixin.qq.com",
    "ALIPAY_APP_ID": "",
    "ALIPAY_PRIVATE_KEY_FILE": "",
    "ALIPAY_PUBLIC_KEY_FILE": "",  # Alipay's public key, not ours
    "ALIPAY_NOTIFY_URL": "",
    "ALIPAY_GATEWAY": "https://openapi.alipay.com/gateway.do",
    "ALIPAY_SELLER_ID": "",  # our 2088… seller id: notifications naming another are flagged; empty: not checked
    "UNIONPAY_MER_ID": "",  # our 15-digit merchant id (merId)
    "UNIONPAY_SIGN_CERT_FILE": "",  # PKCS#12 (.pfx) of our signing key and certificate
    "UNIONPAY_SIGN_CERT_PASSWORD": "",
    "UNIONPAY_ROOT_CERT_FILE": "",  # UnionPay's root, then intermediate: they vouch for signPubKeyCert
    "UNIONPAY_MIDDLE_CERT_FILE": "",
    "UNIONPAY_SIGNER_NAME": "中国银联股份有限公司",  # the organisation a signer certificate's CN must name
    "UNIONPAY_NOTIFY_URL": "",  # backUrl: public URL of /api/v1/payments/notify/unionpay
    "UNIONPAY_FRONT_URL": "",  # frontUrl (unionpay_h5): the page the shopper's web-view returns to
    "UNIONPAY_GATEWAY": "https://gateway.95516.com",
    "PAYMENT_RECONCILE_AFTER_MINUTES": 5,  # a payment pending this long is queried by reconcile_payments
    # provider notify URLs (anyone can POST there): per-IP limit, body cap before anything is stored, retention
    "PAYMENT_NOTIFY_RATE_LIMIT": "600 per minute",
    "PAYMENT_NOTIFY_MAX_BYTES": 16 * 1024,
    "PAYMENT_NOTIFICATION_RETENTION_DAYS": 30,  # raw notifications older than this are pruned (see README)
    # scheduled jobs and notifications (groupbuy/jobs/scheduler.py, `flask groupbuy scheduler`)
    "AUTO_CONFIRM_DAYS": 7,  # picked up / delivered this many days ago and not confirmed: completed by the system
    "JOB_BATCH_SIZE": 500,  # rows a job claims and moves per transaction
    "CLOSE_RUNNERS": 2,  # PostgreSQL: close_due_groups closes batches in this many threads (SQLite: one)
    "OUTBOX_BATCH_SIZE": 50,  # outbound messages a deliverer leases at a time
    "OUTBOX_MAX_ATTEMPTS": 10,  # transient failures before a message is given up (failed)
    "OUTBOX_MAX_BACKOFF_SECONDS": 3600,  # back-off doubles from 30 s up to this
    "MINIAPP_CHANNEL": "console",  # console | wechat (subscribe messages) | off
    "WECHAT_SUBSCRIBE_TEMPLATES": {},  # kind -> {"template_id", "page"?, "data"?: {"thing1": "{title}", ...}}
    "WECHAT_MINIPROGRAM_STATE": "formal",  # formal | trial | developer
    "NOTIFY_SMS_KINDS": ["leader_stock_list", "goods_arrived"],  # notices also sent by SMS
    "NOTIFY_EMAIL_KINDS": [],  # notices also sent by e-mail
    # request bodies
    "MAX_CONTENT_LENGTH": 1024 * 1024,
}

# Keys that must never be logged or shown.
SECRET_KEYS = frozenset(
    {
        "SECRET_KEY",
        "WECHAT_SECRET",
        "SMTP_PASSWORD",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE",
        "ALIPAY_PRIVATE_KEY_FILE",
        "UNIONPAY_SIGN_CERT_FILE",
        "UNIONPAY_SIGN_CERT_PASSWORD",
        "SANDBOX_SIGNING_KEY",
    }
)


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Defaults, then GROUPBUY_* from the environment, then the test mapping."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("GROUPBUY")
    if overrides:
        app.config.update(overrides)
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'groupbuy.db'}"
    if not app.config["SANDBOX_SIGNING_KEY"] and _sandbox_enabled(app.config) and app.config["ENV"] not in _OWN_KEYS:
        app.config["SANDBOX_SIGNING_KEY"] = install_sandbox_key(Path(app.instance_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    if app.config["REDIS_URL"]:
        app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    if app.config["DELIVERY_FEE_REFUND"] not in ("whole_order", "never"):
        raise ConfigError("GROUPBUY_DELIVERY_FEE_REFUND must be 'whole_order' or 'never'")
    check_production(app.config)


_OWN_KEYS = ("production", "test")  # production refuses the sandbox; tests pass their own key


def install_sandbox_key(instance: Path) -> str:
    """This install's sandbox signing key: random, made on first start and kept in instance/ (mode 0600).

    Never derived from SECRET_KEY, whose development default is public: anyone could forge a sandbox
    payment on a development or staging host. Workers starting at once agree on one key (link, not overwrite).
    """
    path = instance / "sandbox_signing_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        draft = instance / f".sandbox_signing_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker made it first: use theirs
        finally:
            draft.unlink()
    return path.read_text().strip()


def _sandbox_enabled(config: Mapping[str, Any]) -> bool:
    return "sandbox" in _channel_names(config.get("PAYMENT_CHANNELS", "sandbox"))


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """Pool and driver settings per backend (ecosystem.md #7).

    ``hide_parameters``: a failed statement's exception never carries its bound values (password hashes,
    token digests, session keys, phone numbers), so no traceback can log them.
    """
    if str(config["DATABASE_URL"]).startswith("sqlite"):
        # 5 s busy wait, then "database is locked" becomes a 503 with Retry-After.
        return {"hide_parameters": True, "connect_args": {"timeout": 5, "check_same_thread": False}}
    return {
        "hide_parameters": True,
        "pool_pre_ping": bool(config["DB_POOL_PRE_PING"]),
        "pool_size": int(config["DB_POOL_SIZE"]),
        "max_overflow": 10,
        "pool_timeout": float(config["DB_POOL_TIMEOUT"]),
        "pool_recycle": 1800,
        "connect_args": {
            "connect_timeout": 5,
            "application_name": "groupbuy",
            "options": f"-c statement_timeout={int(config['DB_STATEMENT_TIMEOUT_MS'])}"
            f" -c lock_timeout={int(config['DB_LOCK_TIMEOUT_MS'])} -c idle_in_transaction_session_timeout=30000",
        },
    }


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe for the chosen environment."""


def check_production(config: Mapping[str, Any]) -> None:
    """Production refuses development fakes and the default secret."""
    if config["ENV"] != "production":
        return
    problems = []
    if config["SECRET_KEY"] in ("", DEFAULT_SECRET_KEY) or len(str(config["SECRET_KEY"])) < 32:
        problems.append("GROUPBUY_SECRET_KEY must be set to a random value of 32+ characters")
    if config["WECHAT_LOGIN_CLIENT"] != "http":
        problems.append("GROUPBUY_WECHAT_LOGIN_CLIENT must be 'http' (the fake is for development)")
    if config["SMS_CHANNEL"] == "console" or config["EMAIL_CHANNEL"] == "console":
        problems.append("GROUPBUY_SMS_CHANNEL / GROUPBUY_EMAIL_CHANNEL must not be 'console'")
    if config["PASSWORD_HASH_PROFILE"] != "owasp":  # noqa: S105 - a profile name
        problems.append("GROUPBUY_PASSWORD_HASH_PROFILE must be 'owasp'")
    if "sandbox" in _channel_names(config.get("PAYMENT_CHANNELS", "sandbox")):
        problems.append("GROUPBUY_PAYMENT_CHANNELS must not include 'sandbox' (it moves no money)")
    if not _shared_limiter_storage(config):
        problems.append(
            "GROUPBUY_REDIS_URL must be set (or GROUPBUY_RATELIMIT_STORAGE_URI name shared storage): "
            "in-process throttling counts per worker"
        )
    channels = _channel_names(config.get("PAYMENT_CHANNELS", "sandbox"))
    if channels & {"unionpay_qr", "unionpay_h5"}:
        missing = [key for key in _UNIONPAY_REQUIRED if not config.get(key)]
        if "unionpay_h5" in channels and not config.get("UNIONPAY_FRONT_URL"):
            missing.append("UNIONPAY_FRONT_URL")
        if missing:
            problems.append("UnionPay is enabled without " + ", ".join(f"GROUPBUY_{key}" for key in missing))
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))


def _shared_limiter_storage(config: Mapping[str, Any]) -> bool:
    """The login throttle's storage is shared by every worker: not the per-process ``memory://``."""
    storage = str(config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://")
    return not storage.strip().lower().startswith("memory:")


# What an enabled UnionPay channel needs (the provider refuses to build without them too).
_UNIONPAY_REQUIRED = (
    "UNIONPAY_MER_ID",
    "UNIONPAY_SIGN_CERT_FILE",
    "UNIONPAY_SIGN_CERT_PASSWORD",
    "UNIONPAY_ROOT_CERT_FILE",
    "UNIONPAY_MIDDLE_CERT_FILE",
    "UNIONPAY_SIGNER_NAME",
    "UNIONPAY_NOTIFY_URL",
    "UNIONPAY_GATEWAY",
)


def _channel_names(raw: Any) -> set[str]:
    """PAYMENT_CHANNELS as a set of names (a comma-separated string or a list)."""
    names = raw.split(",") if isinstance(raw, str) else list(raw or ())
    return {str(name).strip() for name in names}
