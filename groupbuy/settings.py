"""The typed settings: one frozen object, built and checked once at start, read by services through settings().

Every field is the environment variable ``GROUPBUY_<FIELD NAME IN CAPITALS>``; its default is written here and
nowhere else. A value of the wrong type, out of range or not among the choices stops the app at start with a
message naming the variable. The full reference is docs/configuration.md.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import limits
from flask import current_app

DEFAULT_SECRET_KEY = "dev-secret-change-me"  # noqa: S105 - refused in production by production_problems()
PAYMENT_CHANNEL_NAMES = ("wechat_native", "wechat_jsapi", "alipay_qr", "unionpay_qr", "unionpay_h5", "sandbox")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EXTENSION_KEY = "groupbuy.settings"


class ConfigError(RuntimeError):
    """A setting is invalid, or unsafe for the chosen environment; the app refuses to start."""


def _setting(
    default: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] = (),
    secret: bool = False,
    rate: bool = False,
) -> Any:
    """A field with its one default and its checks (``choices`` apply to each item of a tuple)."""
    metadata = {"low": low, "high": high, "choices": choices, "secret": secret, "rate": rate}
    if isinstance(default, dict):
        return field(default_factory=lambda: types.MappingProxyType(dict(default)), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True, repr=False)
class Settings:
    """Every GROUPBUY_* setting, typed. Frozen: tests swap the whole object (dataclasses.replace), never a field."""

    env: str = _setting("development", choices=("development", "test", "production"))
    secret_key: str = _setting(DEFAULT_SECRET_KEY, secret=True)
    database_url: str = _setting("")  # empty: a SQLite file under instance/
    redis_url: str = _setting("")
    ratelimit_storage_uri: str = _setting("")  # empty: redis_url, else memory:// (one process only)
    public_base_url: str = _setting("http://127.0.0.1:5000")
    log_level: str = _setting("INFO", choices=LOG_LEVELS)
    log_format: str = _setting("console", choices=("console", "json"))
    proxy_fix_x_for: int = _setting(0, low=0, high=10)  # trusted proxies in front; 0: none
    metrics_disabled: bool = _setting(False)
    max_content_length: int = _setting(1024 * 1024, low=1024)
    public_cache_max_age_seconds: int = _setting(5, low=0, high=3600)  # public reads: Cache-Control max-age
    read_cache_seconds: float = _setting(1.0, low=0, high=60)  # shared read cache: longest lag of stock; 0: off
    # auth
    token_ttl_hours: int = _setting(24 * 7, low=1, high=24 * 365)
    password_hash_profile: str = _setting("owasp", choices=("owasp", "cheapest"))
    login_max_failures: int = _setting(5, low=1, high=100)
    login_failure_window_minutes: int = _setting(15, low=1, high=24 * 60)
    login_lock_minutes: int = _setting(15, low=1, high=24 * 60)
    auth_rate_limit: str = _setting("30 per minute", rate=True)
    code_ttl_minutes: int = _setting(10, low=1, high=24 * 60)
    code_max_attempts: int = _setting(5, low=1, high=100)
    code_resend_seconds: int = _setting(60, low=0, high=24 * 3600)
    code_daily_cap_per_target: int = _setting(10, low=1)
    code_daily_cap_per_ip: int = _setting(50, low=1)
    # the outside world: which implementation serves each (groupbuy/implementations.py builds them)
    wechat_login_client: str = _setting("fake", choices=("fake", "http"))
    wechat_appid: str = _setting("")
    wechat_secret: str = _setting("", secret=True)
    wechat_api_base: str = _setting("https://api.weixin.qq.com")
    http_timeout_seconds: float = _setting(5.0, low=0.01, high=120)
    sms_channel: str = _setting("console", choices=("console", "webhook"))  # the SMS transport
    sms_webhook_url: str = _setting("")
    email_channel: str = _setting("console", choices=("console", "smtp"))  # the e-mail transport
    smtp_host: str = _setting("")
    smtp_port: int = _setting(465, low=1, high=65535)
    smtp_user: str = _setting("")
    smtp_password: str = _setting("", secret=True)
    smtp_from: str = _setting("")
    # accounts and catalog
    max_addresses: int = _setting(20, low=1, high=1000)
    banned_words: tuple[str, ...] = _setting(("最低价", "国家级", "假一赔十", "特效", "根治"))
    min_description_chars: int = _setting(10, low=0, high=10_000)
    # orders
    payment_window_minutes: int = _setting(15, low=1, high=24 * 60)
    max_order_payable_fen: int = _setting(500_000, low=1)  # ¥5,000 per order (seed 003)
    delivery_fee_refund: str = _setting("whole_order", choices=("whole_order", "never"))
    # database (PostgreSQL)
    db_pool_size: int = _setting(5, low=1, high=1000)
    db_pool_timeout: float = _setting(5.0, low=0.1, high=600)
    db_pool_pre_ping: bool = _setting(False)  # one more round trip per request (~9% of a checkout)
    db_lock_timeout_ms: int = _setting(10_000, low=1)
    db_statement_timeout_ms: int = _setting(15_000, low=1)
    # payments
    payment_channels: tuple[str, ...] = _setting(("sandbox",), choices=PAYMENT_CHANNEL_NAMES)
    sandbox_signing_key: str = _setting("", secret=True)  # development: made once per install (config.py)
    wechatpay_mchid: str = _setting("")
    wechatpay_appid: str = _setting("")
    wechatpay_apiv3_key: str = _setting("", secret=True)
    wechatpay_merchant_private_key_file: str = _setting("", secret=True)
    wechatpay_merchant_serial_no: str = _setting("")
    wechatpay_platform_public_key_file: str = _setting("")
    wechatpay_platform_public_key_id: str = _setting("")
    wechatpay_notify_url: str = _setting("")
    wechatpay_api_base: str = _setting("https://api.mch.weixin.qq.com")
    alipay_app_id: str = _setting("")
    alipay_private_key_file: str = _setting("", secret=True)
    alipay_public_key_file: str = _setting("")
    alipay_notify_url: str = _setting("")
    alipay_gateway: str = _setting("https://openapi.alipay.com/gateway.do")
    alipay_seller_id: str = _setting("")
    unionpay_mer_id: str = _setting("")
    unionpay_sign_cert_file: str = _setting("", secret=True)
    unionpay_sign_cert_password: str = _setting("", secret=True)
    unionpay_root_cert_file: str = _setting("")
    unionpay_middle_cert_file: str = _setting("")
    unionpay_signer_name: str = _setting("中国银联股份有限公司")
    unionpay_notify_url: str = _setting("")
    unionpay_front_url: str = _setting("")
    unionpay_gateway: str = _setting("https://gateway.95516.com")
    payment_reconcile_after_minutes: int = _setting(5, low=1, high=24 * 60)
    payment_notify_rate_limit: str = _setting("600 per minute", rate=True)
    payment_notify_max_bytes: int = _setting(16 * 1024, low=1024, high=1024 * 1024)
    payment_notification_retention_days: int = _setting(30, low=1, high=3650)
    # scheduled jobs and notifications
    auto_confirm_days: int = _setting(7, low=1, high=365)
    job_batch_size: int = _setting(500, low=1, high=100_000)
    # goods moving (groupbuy/flows): dispatch on the pickup date's eve, pickup codes, unclaimed goods
    dispatch_hour: int = _setting(18, low=0, high=23)  # China time: dispatch_due_orders ships tomorrow's from then
    pickup_code_max_failures: int = _setting(10, low=1, high=1000)  # wrong pickup codes per leader and window
    pickup_code_failure_window_minutes: int = _setting(10, low=1, high=24 * 60)
    unclaimed_remind_days: int = _setting(2, low=1, high=365)  # goods ready this long: the shopper is reminded
    unclaimed_flag_days: int = _setting(5, low=2, high=365)  # still there: flagged for CS (> unclaimed_remind_days)
    close_runners: int = _setting(2, low=1, high=32)
    outbox_batch_size: int = _setting(50, low=1, high=10_000)
    outbox_max_attempts: int = _setting(10, low=1, high=1000)
    outbox_max_backoff_seconds: int = _setting(3600, low=1, high=7 * 24 * 3600)
    miniapp_channel: str = _setting("console", choices=("console", "wechat", "off"))  # the mini-app transport
    wechat_subscribe_templates: Mapping[str, Mapping[str, Any]] = _setting({})
    wechat_miniprogram_state: str = _setting("formal", choices=("formal", "trial", "developer"))
    notify_sms_kinds: tuple[str, ...] = _setting(("leader_stock_list", "goods_arrived"))
    notify_email_kinds: tuple[str, ...] = _setting(())
    # web pages (groupbuy/web): the group share page and the leader workbench
    miniapp_group_path: str = _setting("pages/group/index?group_id={group_id}")  # the page a share page names
    group_page_visitor_days: int = _setting(2, low=1, high=30)  # visitor hashes kept; the daily counts stay
    # uploads (groupbuy/uploads): images only, re-encoded, stored through the file-storage slot
    storage_backend: str = _setting("local", choices=("local", "s3"))  # where uploaded files are kept
    storage_local_dir: str = _setting("")  # empty: instance/media
    storage_public_base_url: str = _setting("")  # empty: PUBLIC_BASE_URL (files served at /media/<key>)
    s3_endpoint_url: str = _setting("")  # an S3-compatible store (MinIO, COS, OSS, S3)
    s3_region: str = _setting("us-east-1")
    s3_bucket: str = _setting("")
    s3_access_key_id: str = _setting("")
    s3_secret_access_key: str = _setting("", secret=True)
    upload_max_bytes: int = _setting(5 * 1024 * 1024, low=1024, high=50 * 1024 * 1024)
    upload_min_side: int = _setting(16, low=1, high=4096)  # pixels, each side
    upload_max_side: int = _setting(8000, low=16, high=65535)
    upload_max_pixels: int = _setting(40_000_000, low=256, high=200_000_000)  # width x height: no bombs
    upload_rate_limit: str = _setting("60 per hour", rate=True)
    upload_orphan_hours: int = _setting(24, low=1, high=24 * 365)  # never-attached uploads purged after this
    # membership (groupbuy/membership): tiers by yearly spend, member prices, fast refund
    membership_spend_window_days: int = _setting(365, low=30, high=3 * 365)  # the "yearly" spend a tier is reached by
    member_price_max_discount_percent: int = _setting(50, low=0, high=90)  # the floor: a member price ≥ group × (1 − x)
    fast_refund_window_minutes: int = _setting(120, low=1, high=7 * 24 * 60)  # asked this soon after ordering
    # messaging (groupbuy/messaging): new-message notices at most once per conversation and side per interval
    messaging_notice_interval_minutes: int = _setting(10, low=1, high=24 * 60)
    messaging_answer_hours: int = _setting(24, low=1, high=24 * 30)  # an inquiry answered within: "responded"
    messaging_figures_days: int = _setting(30, low=1, high=365)  # the leader API's response-figures window
    messaging_inquiry_gap_minutes: int = _setting(60, low=0, high=7 * 24 * 60)  # quiet before a new inquiry
    messaging_send_rate_limit: str = _setting("60 per minute", rate=True)  # messages one user may write
    # after-sale and disputes (groupbuy/aftersales): windows after receipt, the leader's answer, CS's SLA
    after_sale_fresh_hours: int = _setting(48, low=1, high=24 * 30)  # fresh-produce categories (Category.is_fresh)
    after_sale_window_days: int = _setting(7, low=1, high=365)  # any other goods, any reason
    order_protection_days: int = _setting(60, low=0, high=365)  # quality problems (0: no order protection)
    after_sale_answer_hours: int = _setting(48, low=1, high=24 * 14)  # the leader answers, else escalated to CS
    # the pick list (groupbuy/orders/service/pick_list_sql.py): rendered lists kept per worker, 0 = none
    pick_list_cache_entries: int = _setting(8, low=0, high=256)
    # reviews (groupbuy/reviews): follow-ups, the rating window, the standing search ranks by
    review_follow_up_days: int = _setting(150, low=1, high=3650)  # one follow-up within this many days of the review
    review_rating_window_days: int = _setting(183, low=1, high=3650)  # ratings count this long (about 6 months)
    review_rate_limit: str = _setting("30 per hour", rate=True)  # review and follow-up posts per client IP

    def __post_init__(self) -> None:
        hints = get_type_hints(type(self))
        for spec in dataclasses.fields(self):
            object.__setattr__(self, spec.name, _coerce(spec, hints[spec.name], getattr(self, spec.name)))
        if self.unclaimed_flag_days <= self.unclaimed_remind_days:
            raise ConfigError("GROUPBUY_UNCLAIMED_FLAG_DAYS must be more than GROUPBUY_UNCLAIMED_REMIND_DAYS")

    def __repr__(self) -> str:
        shown = []
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            shown.append(f"{spec.name}={'<hidden>' if spec.metadata['secret'] and value else repr(value)}")
        return f"Settings({', '.join(shown)})"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, checked like the original (tests use it through tests.conftest.tune)."""
        return dataclasses.replace(self, **changes)


SETTING_NAMES = frozenset(spec.name.upper() for spec in dataclasses.fields(Settings))
# Names that must never be logged or shown.
SECRET_KEYS = frozenset(spec.name.upper() for spec in dataclasses.fields(Settings) if spec.metadata["secret"])


def build_settings(values: Mapping[str, Any]) -> Settings:
    """Settings from a mapping of environment names (without GROUPBUY_); names that are not settings are ignored."""
    return Settings(**{name.lower(): value for name, value in values.items() if name in SETTING_NAMES})


def settings() -> Settings:
    """The running app's settings (one object, built at start)."""
    found: Settings = current_app.extensions[EXTENSION_KEY]
    return found


def _coerce(spec: dataclasses.Field[Any], kind: Any, value: Any) -> Any:
    name = f"GROUPBUY_{spec.name.upper()}"
    try:
        result = _typed(kind, value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: {'expected text' if spec.metadata['secret'] else exc}") from None
    if spec.name == "log_level":
        result = result.upper()
    meta = spec.metadata
    items = result if isinstance(result, tuple) else (result,)
    if meta["choices"] and any(item not in meta["choices"] for item in items):
        raise ConfigError(f"{name} must be {' / '.join(meta['choices'])} (got {value!r})")
    if meta["low"] is not None and result < meta["low"]:
        raise ConfigError(f"{name} must be at least {meta['low']} (got {value!r})")
    if meta["high"] is not None and result > meta["high"]:
        raise ConfigError(f"{name} must be at most {meta['high']} (got {value!r})")
    if meta["rate"]:
        try:
            limits.parse_many(result)
        except ValueError:
            raise ConfigError(f"{name} must be a rate limit such as '30 per minute' (got {value!r})") from None
    return result


def _typed(kind: Any, value: Any) -> Any:
    """The value as ``kind``; the environment gives JSON-parsed values or text, tests give Python values."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            return value.strip().lower() in ("true", "1", "yes", "on")
        raise TypeError(f"expected true or false, got {value!r}")
    if kind is int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | str)
            or (isinstance(value, str) and not value.strip())
        ):
            raise TypeError(f"expected a whole number, got {value!r}")
        return int(value)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(f"expected a number, got {value!r}")
        return float(value)
    if kind is str:
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError(f"expected text, got {value!r}")
        return str(value).strip()
    if kind == tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple | set | frozenset):
            raise TypeError(f"expected a list or comma-separated text, got {value!r}")
        return tuple(str(item).strip() for item in items if str(item).strip())
    if isinstance(value, Mapping):
        return types.MappingProxyType({str(key): item for key, item in value.items()})
    raise TypeError(f"expected a JSON object, got {value!r}")
