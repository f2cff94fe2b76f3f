"""The sandbox checkout page the sandbox code_url opens: plain HTML, no assets, works on a phone and from curl."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from groupbuy import clock
from groupbuy.errors import NotFound
from groupbuy.orders.enums import OrderStatus
from groupbuy.payments import service
from groupbuy.payments.enums import PaymentStatus

bp = Blueprint("sandbox_checkout", __name__)
TEMPLATE = "sandbox_checkout.html"  # top level: package_data ships templates/*.html
RESULTS = {"success": True, "fail": False}

# Why a checkout cannot be paid, in words (zh, en): the page never shows an enum value.
PAYMENT_WORDS: dict[PaymentStatus, tuple[str, str]] = {
    PaymentStatus.PENDING: ("等待支付", "waiting for payment"),
    PaymentStatus.PAID: ("已支付", "paid"),
    PaymentStatus.FAILED: ("这次支付没有成功，请回到订单重新发起支付", "this attempt failed; pay again from the order"),
    PaymentStatus.CLOSED: ("这笔支付已关闭", "this payment is closed"),
    PaymentStatus.FLAGGED: ("这笔支付正在由客服核对", "customer service is checking this payment"),
}
ORDER_WORDS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.PENDING_PAYMENT: ("订单待支付", "the order awaits payment"),
    OrderStatus.PAID: ("订单已支付", "the order is already paid"),
    OrderStatus.CONFIRMED: ("订单已支付", "the order is already paid"),
    OrderStatus.STOCKING: ("订单已支付，正在备货", "the order is paid and being stocked"),
    OrderStatus.SHIPPED: ("订单已发货", "the order has shipped"),
    OrderStatus.READY_FOR_PICKUP: ("订单已到自提点", "the order is ready for pickup"),
    OrderStatus.OUT_FOR_DELIVERY: ("订单正在配送", "the order is out for delivery"),
    OrderStatus.PICKED_UP: ("订单已提货", "the order was picked up"),
    OrderStatus.DELIVERED: ("订单已送达", "the order was delivered"),
    OrderStatus.COMPLETED: ("订单已完成", "the order is completed"),
    OrderStatus.REFUNDING: ("订单正在退款", "the order is being refunded"),
    OrderStatus.REFUNDED: ("订单已退款", "the order is refunded"),
    OrderStatus.CANCELLED: ("订单已取消或已过支付时间", "the order was cancelled or its payment window ended"),
}
UNKNOWN = ("当前状态不能支付", "it cannot be paid in its current state")


def why_not_payable(checkout: service.SandboxCheckoutView) -> tuple[str, str]:
    """The payment's own reason first (failed, closed, flagged), else the order's."""
    if checkout.payment_status is not PaymentStatus.PENDING:
        return PAYMENT_WORDS.get(checkout.payment_status, UNKNOWN)
    return ORDER_WORDS.get(checkout.order_status, UNKNOWN)


def _page(checkout: service.SandboxCheckoutView | None, **more: bool) -> str:
    reason = why_not_payable(checkout) if checkout is not None else None
    return render_template(TEMPLATE, checkout=checkout, reason=reason, **more)


@bp.get("/pay/sandbox/<token>")
def show_checkout(token: str) -> tuple[str, int]:
    """Order number, amount and the Pay / Fail buttons; 404 page for a token we did not sign."""
    try:
        return _page(service.sandbox_checkout(token=token)), 200
    except NotFound:
        return _page(None), 404


@bp.post("/pay/sandbox/<token>")
def submit_checkout(token: str) -> tuple[str, int]:
    """result=success|fail: the sandbox signs a notification and our notify pipeline handles it."""
    succeed = RESULTS.get(request.form.get("result", ""))
    if succeed is None:
        return _page(None, bad_request=True), 400
    try:
        checkout = service.pay_in_sandbox(token=token, succeed=succeed, now=clock.now())
    except NotFound:
        return _page(None), 404
    return _page(checkout, submitted=True), 200
