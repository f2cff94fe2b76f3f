"""The built-in sandbox checkout: its page reads a signed token; "pay" sends a signed notification down the same
pipeline as WeChat Pay and Alipay (handle_callback), never a shortcut."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from groupbuy.db import db
from groupbuy.errors import NotFound
from groupbuy.orders.enums import OrderStatus
from groupbuy.orders.models import Order
from groupbuy.payments.enums import PaymentStatus
from groupbuy.payments.models import Payment
from groupbuy.payments.providers import (
    InvalidCheckoutToken,
    ProviderName,
    ProviderNotConfigured,
    SandboxCheckout,
    SandboxProvider,
    TradeStatus,
    provider_named,
)
from groupbuy.payments.service.callbacks import handle_callback


@dataclass(frozen=True)
class SandboxCheckoutView:
    order_no: str
    amount_fen: int
    payment_status: PaymentStatus
    order_status: OrderStatus
    expires_at: datetime

    @property
    def amount_yuan(self) -> str:
        """¥ with two decimals, computed from integer fen."""
        return f"{self.amount_fen // 100}.{self.amount_fen % 100:02d}"

    @property
    def payable(self) -> bool:
        return self.payment_status is PaymentStatus.PENDING and self.order_status is OrderStatus.PENDING_PAYMENT


def _sandbox() -> SandboxProvider:
    try:
        provider = provider_named(ProviderName.SANDBOX)
    except ProviderNotConfigured as exc:
        raise NotFound() from exc
    if not isinstance(provider, SandboxProvider):
        raise NotFound()
    return provider


def _checkout(provider: SandboxProvider, token: str) -> SandboxCheckout:
    try:
        return provider.read_checkout(token)
    except InvalidCheckoutToken as exc:
        raise NotFound() from exc


def sandbox_checkout(*, token: str) -> SandboxCheckoutView:
    """What the checkout page shows; a token we did not sign (or a disabled sandbox) is 404."""
    checkout = _checkout(_sandbox(), token)
    payment = db.session.scalar(
        select(Payment).where(Payment.out_trade_no == checkout.out_trade_no, Payment.provider == ProviderName.SANDBOX)
    )
    if payment is None:
        raise NotFound()
    db.session.refresh(payment)
    order = db.session.get_one(Order, payment.order_id)
    db.session.refresh(order)
    return SandboxCheckoutView(
        order_no=order.order_no,
        amount_fen=checkout.amount_fen,
        payment_status=payment.status,
        order_status=order.status,
        expires_at=checkout.expires_at,
    )


def pay_in_sandbox(*, token: str, succeed: bool, now: datetime) -> SandboxCheckoutView:
    """The sandbox signs a notification (success or failure) and it goes through handle_callback like any other."""
    provider = _sandbox()
    checkout = _checkout(provider, token)
    sandbox_checkout(token=token)  # 404 for a trade we do not know, before anything is sent
    result = TradeStatus.SUCCESS if succeed else TradeStatus.PAYERROR
    headers, body = provider.build_callback(checkout.out_trade_no, checkout.amount_fen, result, now)
    handle_callback(provider="sandbox", headers=headers, body=body, now=now)
    return sandbox_checkout(token=token)
