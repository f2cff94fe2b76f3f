"""Payments and provider refunds, written directly (the sandbox provider's vocabulary).

Usually made by OrderFactory's ``paid`` and ``refunded`` traits, which keep them in step with their order.
"""

from __future__ import annotations

from datetime import timedelta

import factory

from groupbuy import clock
from groupbuy.payments.enums import PaymentStatus, RefundSource, RefundState
from groupbuy.payments.models import Payment, Refund
from groupbuy.payments.providers import PaymentChannel, ProviderName
from tests.factories.base import ModelFactory


class PaymentFactory(ModelFactory):
    """A sandbox payment that paid its order (``order_id`` and ``amount_fen`` are the caller's)."""

    class Meta:
        model = Payment

    class Params:
        pending = factory.Trait(status=PaymentStatus.PENDING, applied_to_order=False, paid_at=None)

    channel = PaymentChannel.SANDBOX
    provider = ProviderName.SANDBOX
    out_trade_no = factory.Sequence(lambda n: f"GBTEST{n:010d}P1")
    status = PaymentStatus.PAID
    merchant_id = "sandbox"
    app_id = "sandbox"
    code_url = None
    prepay_id = None
    transaction_id = factory.Sequence(lambda n: f"sandbox-{n:08d}")
    applied_to_order = True
    refunded_fen = 0
    flag_reason = None
    created_at = factory.LazyFunction(clock.now)
    paid_at = factory.LazyAttribute(lambda o: o.created_at)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(minutes=15))
    updated_at = factory.LazyAttribute(lambda o: o.paid_at or o.created_at)


class RefundFactory(ModelFactory):
    """A provider refund that succeeded (``payment_id``, ``order_id`` and ``amount_fen`` are the caller's)."""

    class Meta:
        model = Refund

    out_refund_no = factory.Sequence(lambda n: f"GBTEST{n:010d}R1")
    request_key = None
    order_refund_id = None
    reason = "group failed"
    source = RefundSource.GROUP_FAILED
    status = RefundState.SUCCEEDED
    attempts = 1
    next_attempt_at = None
    last_error = None
    provider_refund_id = factory.Sequence(lambda n: f"sandbox-refund-{n:08d}")
    replaces_id = None
    requested_by = "system"
    created_at = factory.LazyFunction(clock.now)
    succeeded_at = factory.LazyAttribute(lambda o: o.created_at)
    updated_at = factory.LazyAttribute(lambda o: o.succeeded_at or o.created_at)
