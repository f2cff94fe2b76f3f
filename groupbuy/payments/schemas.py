"""Payment request (load), payment and refund (dump), the CS refund query."""

from __future__ import annotations

import marshmallow as ma

from groupbuy.common.fields import UtcDateTime
from groupbuy.common.pagination import PageQuerySchema
from groupbuy.payments.enums import PaymentStatus, RefundSource, RefundState
from groupbuy.payments.providers import PaymentChannel


class PaymentCreateSchema(ma.Schema):
    channel = ma.fields.Enum(PaymentChannel, by_value=True, required=True)


JsapiParamsSchema = ma.Schema.from_dict(
    {
        name: ma.fields.String(required=True)
        for name in ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign")
    },
    name="JsapiParamsSchema",
)


PayFormSchema = ma.Schema.from_dict(
    {
        "action": ma.fields.String(required=True),
        "fields": ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True),
    },
    name="PayFormSchema",
)


class PaymentSchema(ma.Schema):
    payment_id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(required=True)
    channel = ma.fields.Enum(PaymentChannel, by_value=True, required=True)
    status = ma.fields.Enum(PaymentStatus, by_value=True, required=True)
    amount_fen = ma.fields.Integer(required=True)
    code_url = ma.fields.String(allow_none=True, metadata={"description": "what the QR code encodes; none for JSAPI"})
    qr_png_url = ma.fields.String(allow_none=True)
    qr_svg_url = ma.fields.String(allow_none=True)
    expires_at = UtcDateTime(required=True, metadata={"description": "the order's pay_before"})
    paid_at = UtcDateTime(allow_none=True)
    jsapi_params = ma.fields.Nested(
        JsapiParamsSchema, allow_none=True, metadata={"description": "wx.requestPayment arguments (wechat_jsapi)"}
    )
    pay_form = ma.fields.Nested(
        PayFormSchema,
        allow_none=True,
        metadata={"description": "unionpay_h5: the signed form the mini-app's web-view posts to `action`"},
    )


class RefundQuerySchema(PageQuerySchema):
    status = ma.fields.Enum(RefundState, by_value=True)


class RefundSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    order_id = ma.fields.Integer(required=True)
    payment_id = ma.fields.Integer(required=True)
    out_refund_no = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True)
    source = ma.fields.Enum(RefundSource, by_value=True, required=True)
    status = ma.fields.Enum(RefundState, by_value=True, required=True)
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = UtcDateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = UtcDateTime(required=True)
    succeeded_at = UtcDateTime(allow_none=True)
