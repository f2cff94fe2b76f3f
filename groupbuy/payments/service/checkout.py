"""Payment links: one live attempt per order and channel, written before the provider hears of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from groupbuy.accounts.models import WeChatIdentity
from groupbuy.common.urls import absolute_url
from groupbuy.db import db, transaction
from groupbuy.errors import Conflict, Invalid, NotFound, Unavailable
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from groupbuy.payments.enums import PaymentStatus
from groupbuy.payments.models import Payment
from groupbuy.payments.providers import (
    CreatedPayment,
    ErrorCode,
    PaymentChannel,
    PaymentProvider,
    ProviderError,
)
from groupbuy.payments.providers.base import PROVIDER_OF_CHANNEL
from groupbuy.payments.service.channels import CHANNEL_CODES, channel_provider, merchant_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PaymentView:
    payment_id: int
    order_id: int
    channel: PaymentChannel
    status: PaymentStatus
    amount_fen: int
    code_url: str | None
    qr_png_url: str | None
    qr_svg_url: str | None
    expires_at: datetime
    paid_at: datetime | None
    jsapi_params: dict[str, str] | None = None
    pay_form: dict[str, object] | None = None  # unionpay_h5: {"action", "fields"} for the web-view to post


def payment_view(
    payment: Payment, jsapi_params: dict[str, str] | None = None, pay_form: dict[str, object] | None = None
) -> PaymentView:
    qr = absolute_url(f"/api/v1/payments/{payment.id}/qr") if payment.code_url else None
    return PaymentView(
        payment_id=payment.id,
        order_id=payment.order_id,
        channel=payment.channel,
        status=payment.status,
        amount_fen=payment.amount_fen,
        code_url=payment.code_url,
        qr_png_url=qr and f"{qr}.png",
        qr_svg_url=qr and f"{qr}.svg",
        expires_at=payment.expires_at,
        paid_at=payment.paid_at,
        jsapi_params=jsapi_params,
        pay_form=pay_form,
    )


def start_payment(*, user_id: int, order_id: int, channel: PaymentChannel, now: datetime) -> PaymentView:
    """Only the owner's order, only while it is payable; the live attempt for this channel is reused."""
    with transaction():
        order = _payable_order(user_id, order_id, now)
        provider = channel_provider(channel)
        openid = _payer_openid(user_id) if channel is PaymentChannel.WECHAT_JSAPI else None
        payment = _live_payment(order, channel, now)
        description = f"社区团购订单 {order.order_no}"
    if payment.code_url is not None and channel is not PaymentChannel.WECHAT_JSAPI:
        return payment_view(payment)
    created = _place_trade(provider, payment, description, openid, now)
    with transaction():
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(code_url=created.code_url, prepay_id=created.prepay_id, updated_at=now)
        )
        db.session.refresh(payment)
    params = created.jsapi_params.as_request_payment() if created.jsapi_params else None
    form = created.front_form
    return payment_view(payment, params, {"action": form.action, "fields": dict(form.fields)} if form else None)


def _payable_order(user_id: int, order_id: int, now: datetime) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound()
    if order.status is not OrderStatus.PENDING_PAYMENT or order.pay_before <= now:
        raise Conflict("order_not_payable")
    return order


def _payer_openid(user_id: int) -> str:
    openid = db.session.scalar(select(WeChatIdentity.openid).where(WeChatIdentity.user_id == user_id))
    if openid is None:
        raise Invalid("wechat_login_required", errors={"channel": ["wechat_jsapi needs a WeChat mini-app login"]})
    return openid


def _live_payment(order: Order, channel: PaymentChannel, now: datetime) -> Payment:
    """The pending attempt for (order, channel), or a new one numbered order_no + channel letter + attempt."""
    for _ in range(3):
        live = db.session.scalar(
            select(Payment).where(
                Payment.order_id == order.id, Payment.channel == channel, Payment.status == PaymentStatus.PENDING
            )
        )
        if live is not None:
            return live
        attempts = db.session.scalar(
            select(func.count()).where(Payment.order_id == order.id, Payment.channel == channel)
        )
        merchant_id, app_id = merchant_of(channel)
        payment = Payment(
            order_id=order.id,
            channel=channel,
            provider=PROVIDER_OF_CHANNEL[channel],
            out_trade_no=f"{order.order_no}{CHANNEL_CODES[channel]}{(attempts or 0) + 1}",
            amount_fen=order.payable_fen,
            status=PaymentStatus.PENDING,
            merchant_id=merchant_id,
            app_id=app_id,
            expires_at=order.pay_before,
            created_at=now,
            updated_at=now,
        )
        try:
            with db.session.begin_nested():  # a concurrent request created the live attempt first: use theirs
                db.session.add(payment)
                db.session.flush()  # the unique indexes decide here, inside the savepoint
        except IntegrityError:
            continue
        return payment
    raise Conflict("payment_in_progress")


def _place_trade(
    provider: PaymentProvider, payment: Payment, description: str, openid: str | None, now: datetime
) -> CreatedPayment:
    """The provider call (outside any transaction); the same out_trade_no again is the same trade."""
    try:
        return provider.create_payment(
            channel=payment.channel,
            out_trade_no=payment.out_trade_no,
            amount_fen=payment.amount_fen,
            description=description,
            expires_at=payment.expires_at,
            payer_openid=openid,
            placed_at=payment.created_at,
        )
    except ProviderError as exc:
        log.warning("payment_create_failed", payment_id=payment.id, error_code=exc.code, retryable=exc.retryable)
        if exc.code == ErrorCode.NUMBER_USED:  # placed by a try whose answer was lost: the next try starts afresh
            _retire_attempt(payment, now)
            raise Unavailable("payment_provider_unavailable", headers={"Retry-After": "1"}) from exc
        if exc.retryable:
            raise Unavailable("payment_provider_unavailable", headers={"Retry-After": "5"}) from exc
        raise Conflict("payment_provider_refused") from exc


def _retire_attempt(payment: Payment, now: datetime) -> None:
    """An attempt nobody could have seen a code for (no code_url) stops being the live one: failed, so the
    next request numbers a new attempt. Should it be paid after all, its notification still settles it."""
    with transaction():
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.status == PaymentStatus.PENDING, Payment.code_url.is_(None))
            .values(status=PaymentStatus.FAILED, updated_at=now)
        )


def _own_payment(user_id: int, payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or db.session.get_one(Order, payment.order_id).user_id != user_id:
        raise NotFound()
    return payment


def get_payment_for_user(*, user_id: int, payment_id: int) -> PaymentView:
    """The owner sees the payment's status; anyone else gets 404."""
    return payment_view(_own_payment(user_id, payment_id))


def payment_code_url_for_user(*, user_id: int, payment_id: int) -> str:
    """What the payment's QR code encodes (404 for JSAPI payments, which have none)."""
    code_url = _own_payment(user_id, payment_id).code_url
    if code_url is None:
        raise NotFound()
    return code_url
