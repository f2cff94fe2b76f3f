"""App wiring for settings: read GROUPBUY_* once, build the typed Settings (groupbuy/settings.py), refuse unsafe
production settings, and hand Flask's extensions their own keys."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config, Flask

from groupbuy.db import AUTOCOMMIT_BIND
from groupbuy.settings import (
    DEFAULT_SECRET_KEY,
    EXTENSION_KEY,
    SECRET_KEYS,
    SETTING_NAMES,
    ConfigError,
    Settings,
    build_settings,
)

__all__ = ["DEFAULT_SECRET_KEY", "SECRET_KEYS", "ConfigError", "check_production", "load_config"]


def load_config(app: Flask, overrides: Mapping[str, Any] | None) -> Settings:
    """Defaults, then GROUPBUY_* from the environment, then the test mapping: one Settings, stored on the app.

    Names that are not settings (TESTING, RATELIMIT_ENABLED …) go to app.config for Flask and its extensions.
    """
    environment = Config(app.root_path)
    environment.from_prefixed_env("GROUPBUY")
    raw = {**environment, **(overrides or {})}
    settings = build_settings(raw)
    if not settings.database_url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        settings = settings.replace(database_url=f"sqlite:///{Path(app.instance_path) / 'groupbuy.db'}")
    if not settings.sandbox_signing_key and "sandbox" in settings.payment_channels and settings.env not in _OWN_KEYS:
        settings = settings.replace(sandbox_signing_key=install_sandbox_key(Path(app.instance_path)))
    if not settings.storage_local_dir:
        settings = settings.replace(storage_local_dir=str(Path(app.instance_path) / "media"))
    check_production(settings)
    app.config.update({name: value for name, value in raw.items() if name not in SETTING_NAMES})
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(settings)
    if not settings.database_url.startswith("sqlite"):
        # A pool of its own whose connections stay in autocommit, for db.alone(): the token check of a signed-in
        # request, the cart add and a one-line checkout (its first read and its one statement). Borrowing a
        # session connection instead costs switching it to autocommit and back (~30 µs of CPU a statement,
        # measured on PostgreSQL). Same database, options and size, but no overflow: threads wait their turn
        # briefly (up to GROUPBUY_DB_POOL_TIMEOUT) rather than open connections the server may not have to give.
        app.config["SQLALCHEMY_BINDS"] = {
            AUTOCOMMIT_BIND: {
                "url": settings.database_url,
                **engine_options(settings),
                "pool_size": autocommit_pool_size(settings),
                "max_overflow": 0,
                "isolation_level": "AUTOCOMMIT",
            }
        }
    app.config["RATELIMIT_STORAGE_URI"] = limiter_storage(settings)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.extensions[EXTENSION_KEY] = settings
    return settings


def limiter_storage(settings: Settings) -> str:
    """Flask-Limiter's storage: as configured, else the Redis URL, else per process (development)."""
    return settings.ratelimit_storage_uri or settings.redis_url or "memory://"


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


def autocommit_pool_size(settings: Settings) -> int:
    """Connections of the autocommit pool (db.alone) per process: as many as the sessions' pool keeps, since a
    one-line checkout holds one for its two statements and the checks between them (as long as a checkout in a
    transaction holds a session's connection)."""
    return settings.db_pool_size


def engine_options(settings: Settings) -> dict[str, Any]:
    """Pool and driver settings per backend (ecosystem.md #7).

    ``hide_parameters``: a failed statement's exception never carries its bound values (password hashes,
    token digests, session keys, phone numbers), so no traceback can log them.
    """
    if settings.database_url.startswith("sqlite"):
        # 5 s busy wait, then "database is locked" becomes a 503 with Retry-After.
        return {"hide_parameters": True, "connect_args": {"timeout": 5, "check_same_thread": False}}
    return {
        "hide_parameters": True,
        "pool_pre_ping": settings.db_pool_pre_ping,
        "pool_size": settings.db_pool_size,
        "max_overflow": 10,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": 1800,
        "connect_args": {
            "connect_timeout": 5,
            "application_name": "groupbuy",
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}"
            f" -c lock_timeout={settings.db_lock_timeout_ms} -c idle_in_transaction_session_timeout=30000",
        },
    }


_S3_REQUIRED = ("S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")


def check_production(settings: Settings | Mapping[str, Any]) -> None:
    """Production refuses development fakes, the default secret and per-process throttling (a mapping is built
    into Settings first, so a bad value is refused by name as well)."""
    if not isinstance(settings, Settings):
        settings = build_settings(settings)
    if settings.env != "production":
        return
    problems = []
    if settings.secret_key == DEFAULT_SECRET_KEY or len(settings.secret_key) < 32:
        problems.append("GROUPBUY_SECRET_KEY must be set to a random value of 32+ characters")
    if settings.wechat_login_client != "http":
        problems.append("GROUPBUY_WECHAT_LOGIN_CLIENT must be 'http' (the fake is for development)")
    if settings.sms_channel == "console" or settings.email_channel == "console":
        problems.append("GROUPBUY_SMS_CHANNEL / GROUPBUY_EMAIL_CHANNEL must not be 'console'")
    if settings.password_hash_profile != "owasp":  # noqa: S105 - a profile name
        problems.append("GROUPBUY_PASSWORD_HASH_PROFILE must be 'owasp'")
    channels = set(settings.payment_channels)
    if "sandbox" in channels:
        problems.append("GROUPBUY_PAYMENT_CHANNELS must not include 'sandbox' (it moves no money)")
    if limiter_storage(settings).strip().lower().startswith("memory:"):
        problems.append(
            "GROUPBUY_REDIS_URL must be set (or GROUPBUY_RATELIMIT_STORAGE_URI name shared storage): "
            "in-process throttling counts per worker"
        )
    if settings.storage_backend == "s3":
        unset = [key for key in _S3_REQUIRED if not getattr(settings, key.lower())]
        if unset:
            problems.append("GROUPBUY_STORAGE_BACKEND is 's3' without " + ", ".join(f"GROUPBUY_{k}" for k in unset))
    if channels & {"unionpay_qr", "unionpay_h5"}:
        missing = [key for key in _UNIONPAY_REQUIRED if not getattr(settings, key.lower())]
        if "unionpay_h5" in channels and not settings.unionpay_front_url:
            missing.append("UNIONPAY_FRONT_URL")
        if missing:
            problems.append("UnionPay is enabled without " + ", ".join(f"GROUPBUY_{key}" for key in missing))
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))


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
