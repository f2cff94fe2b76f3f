"""Which implementation serves each outside service, chosen once at start from the settings (app wiring only).

The registry (groupbuy/registry.py) is filled here and stored on the app; services look implementations up
through it, and tests swap its entries. Nothing else reads the GROUPBUY_*_CHANNEL / _CLIENT choices.
"""

from __future__ import annotations

from groupbuy.accounts.wechat import WECHAT_LOGIN, FakeWeChatLoginClient, HttpWeChatLoginClient, WeChatLoginClient
from groupbuy.notifications.enums import Transport
from groupbuy.notifications.senders.base import SENDERS, Sender
from groupbuy.notifications.senders.console import ConsoleSender
from groupbuy.notifications.senders.email import SmtpEmailSender
from groupbuy.notifications.senders.miniapp import WeChatSubscribeSender
from groupbuy.notifications.senders.sms import WebhookSmsSender
from groupbuy.payments.providers import PAYMENT_PROVIDERS, build_payment_providers
from groupbuy.registry import Registry
from groupbuy.settings import Settings
from groupbuy.storage import FILE_STORAGE, FileStorage
from groupbuy.uploads.backends import LocalDiskStorage, S3Storage


def build_registry(settings: Settings) -> Registry:
    """Every outside implementation the settings choose."""
    built = Registry()
    for channel, provider in build_payment_providers(settings).items():
        built.install(PAYMENT_PROVIDERS, provider, channel.value)
    for transport, sender in message_senders(settings).items():
        built.install(SENDERS, sender, transport.value)
    built.install(WECHAT_LOGIN, wechat_login_client(settings))
    built.install(FILE_STORAGE, file_storage(settings))
    return built


def file_storage(settings: Settings) -> FileStorage:
    """Uploaded files: on local disk (instance/media) unless the settings name an S3-compatible store."""
    public = settings.storage_public_base_url or f"{settings.public_base_url.rstrip('/')}/media"
    if settings.storage_backend == "s3":
        return S3Storage(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            public_base_url=public,
            timeout=settings.http_timeout_seconds,
        )
    return LocalDiskStorage(root=settings.storage_local_dir, public_base_url=public)


def message_senders(settings: Settings) -> dict[Transport, Sender]:
    """One sender per transport; the console one (the server log) unless the settings name a real one."""
    timeout = settings.http_timeout_seconds
    senders: dict[Transport, Sender] = {transport: ConsoleSender(transport.value) for transport in Transport}
    if settings.sms_channel == "webhook":
        senders[Transport.SMS] = WebhookSmsSender(url=settings.sms_webhook_url, timeout=timeout)
    if settings.email_channel == "smtp":
        senders[Transport.EMAIL] = SmtpEmailSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            timeout=timeout,
        )
    if settings.miniapp_channel == "wechat":
        senders[Transport.MINIAPP] = WeChatSubscribeSender(
            api_base=settings.wechat_api_base,
            templates=settings.wechat_subscribe_templates,
            miniprogram_state=settings.wechat_miniprogram_state,
            timeout=timeout,
        )
    return senders


def wechat_login_client(settings: Settings) -> WeChatLoginClient:
    if settings.wechat_login_client == "http":
        return HttpWeChatLoginClient(
            appid=settings.wechat_appid,
            secret=settings.wechat_secret,
            api_base=settings.wechat_api_base,
            timeout=settings.http_timeout_seconds,
        )
    return FakeWeChatLoginClient()
