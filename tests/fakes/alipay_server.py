"""A stateful fake Alipay open-API gateway with its own Alipay key pair.

It verifies our RSA2 request signatures independently of our client code, answers precreate / query /
close / refund / refund query with `{"<method>_response": {...}, "sign": ...}` signed over the node's
raw text, keeps trades (a precreated QR exists only once scanned, like the real one) and refunds (one per
out_request_no; a repeat answers fund_change=N), records calls, injects faults, and signs notify forms.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from groupbuy import clock
from tests.fakes.http_server import Fault, FaultPlan

CST = timezone(timedelta(hours=8))
PUBLIC_PARAMS = ("app_id", "method", "format", "charset", "sign_type", "timestamp", "version", "biz_content")


def yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def fen(amount: str) -> int:
    return int(Decimal(amount) * 100)


def beijing(at: datetime) -> str:
    return at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def sign_fields(key: rsa.RSAPrivateKey, fields: dict[str, str], exclude: tuple[str, ...]) -> str:
    content = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k not in exclude and v != "")
    return base64.b64encode(key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


class Refusal(Exception):
    def __init__(self, sub_code: str, code: str = "40004", msg: str = "Business Failed") -> None:
        super().__init__(sub_code)
        self.node = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_code}


@dataclass
class AlipayTrade:
    out_trade_no: str
    amount_fen: int
    subject: str
    state: str | None = None  # None: precreated, nobody scanned yet (Alipay does not know it)
    trade_no: str = field(default_factory=lambda: "2026" + "".join(secrets.choice("0123456789") for _ in range(24)))
    buyer_id: str | None = None
    paid_at: datetime | None = None
    qr_ref: str = field(default_factory=lambda: secrets.token_hex(10))


@dataclass
class AlipayRefund:
    out_request_no: str
    out_trade_no: str
    refund_fen: int
    at: datetime
    settled: bool = True  # False: accepted with fund_change=N, unknown to the refund query until settled


@dataclass
class AlipayCall:
    method: str
    params: dict[str, str]
    biz: dict[str, Any]
    authorized: bool
    code: str = ""


class FakeAlipay:
    def __init__(
        self,
        *,
        app_id: str,
        app_public_key: rsa.RSAPublicKey,
        alipay_key: rsa.RSAPrivateKey,
        seller_id: str = "2088102000000001",
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.app_id, self.app_public_key, self.alipay_key = app_id, app_public_key, alipay_key
        self.seller_id, self.now = seller_id, now
        self.trades: dict[str, AlipayTrade] = {}
        self.refunds: dict[str, AlipayRefund] = {}
        self.calls: list[AlipayCall] = []
        self.faults = FaultPlan()
        self.url = ""  # set once served
        self.pending_refunds = False  # True: new refunds answer fund_change=N and stay pending
        self._lock = threading.Lock()

    # -- test controls ------------------------------------------------------------------------------------

    def add_trade(self, out_trade_no: str, amount_fen: int, *, subject: str = "团购") -> AlipayTrade:
        self.trades[out_trade_no] = AlipayTrade(out_trade_no, amount_fen, subject)
        return self.trades[out_trade_no]

    def scan(self, out_trade_no: str, buyer_id: str = "2088722000000001") -> AlipayTrade:
        trade = self.trades[out_trade_no]
        trade.state, trade.buyer_id = "WAIT_BUYER_PAY", buyer_id
        return trade

    def pay(self, out_trade_no: str, buyer_id: str = "2088722000000001") -> AlipayTrade:
        trade = self.scan(out_trade_no, buyer_id)
        trade.state, trade.paid_at = "TRADE_SUCCESS", self.now()
        return trade

    def settle_refund(self, out_request_no: str) -> None:
        self.refunds[out_request_no].settled = True

    def calls_to(self, method: str) -> list[AlipayCall]:
        return [call for call in self.calls if call.method == method]

    def release(self) -> None:
        self.faults.released.set()

    def fail_next(self, code: str, *, method: str | None = None, times: int = 1) -> None:
        """ "20000" (service unavailable) or an ACQ.* business sub_code."""
        self.faults.add(Fault("error", endpoint=method, code=code), times)

    # -- notifications ----------------------------------------------------------------------------------

    def notify_fields(self, out_trade_no: str, *, now: datetime, **overrides: str) -> dict[str, str]:
        """The unsigned fields of a trade_status_sync for a trade (paid now if it was not)."""
        trade = self.trades[out_trade_no]
        if trade.state != "TRADE_SUCCESS":
            self.pay(out_trade_no)
        amount = yuan(trade.amount_fen)
        fields = {
            "gmt_create": beijing(now - timedelta(minutes=1)),
            "charset": "utf-8",
            "seller_email": "shop@example.com",
            "subject": trade.subject,
            "buyer_id": trade.buyer_id or "",
            "invoice_amount": amount,
            "notify_id": "2026" + secrets.token_hex(14),
            "fund_bill_list": json.dumps([{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}]),
            "notify_type": "trade_status_sync",
            "trade_status": "TRADE_SUCCESS",
            "receipt_amount": amount,
            "buyer_pay_amount": amount,
            "app_id": self.app_id,
            "notify_time": beijing(now),
            "point_amount": "0.00",
            "total_amount": amount,
            "version": "1.0",
            "out_trade_no": out_trade_no,
            "trade_no": trade.trade_no,
            "auth_app_id": self.app_id,
            "gmt_payment": beijing(trade.paid_at or now),
            "seller_id": self.seller_id,
        }
        fields.update(overrides)
        return fields

    def sign_notify(
        self, fields: dict[str, str], *, key: rsa.RSAPrivateKey | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Sign (without sign/sign_type, empty values left out) and encode as Alipay posts it."""
        signed = dict(fields, sign_type="RSA2")
        signed["sign"] = sign_fields(key or self.alipay_key, signed, exclude=("sign", "sign_type"))
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return headers, urlencode(signed).encode()

    def build_notify(self, out_trade_no: str, *, now: datetime, **overrides: str) -> tuple[dict[str, str], bytes]:
        return self.sign_notify(self.notify_fields(out_trade_no, now=now, **overrides))

    def build_refund_notify(self, out_request_no: str, *, now: datetime) -> tuple[dict[str, str], bytes]:
        refund = self.refunds[out_request_no]
        refunded = sum(r.refund_fen for r in self.refunds.values() if r.out_trade_no == refund.out_trade_no)
        fields = self.notify_fields(
            refund.out_trade_no,
            now=now,
            out_biz_no=out_request_no,
            refund_fee=yuan(refunded),
            gmt_refund=beijing(refund.at) + ".000",
        )
        return self.sign_notify(fields)

    # -- HTTP -------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        params = {key: request.form[key] for key in request.form}
        method = params.get("method", "")
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = {}
        call = AlipayCall(method, params, biz, authorized=self._authorized(params))
        self.calls.append(call)
        fault = self.faults.take(method)
        if fault is not None and fault.kind == "http_error":
            return Response(b"bad gateway", status=fault.status)(environ, start_response)
        node, signed = self._answer(call, fault)
        call.code = str(node.get("code"))
        node_text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        name = method.replace(".", "_") + "_response" if method else "error_response"
        text = f'{{"{name}":{node_text}'
        if signed:
            content = b"tampered" if fault is not None and fault.kind == "bad_signature" else node_text.encode()
            signature = base64.b64encode(self.alipay_key.sign(content, padding.PKCS1v15(), hashes.SHA256())).decode()
            text += f',"sign":"{signature}"'
        body = (text + "}").encode()
        return Response(body, content_type="application/json;charset=utf-8")(environ, start_response)

    def _authorized(self, params: dict[str, str]) -> bool:
        if any(not params.get(key) for key in PUBLIC_PARAMS) or params.get("app_id") != self.app_id:
            return False
        if params["sign_type"] != "RSA2" or params["charset"] != "utf-8" or params["version"] != "1.0":
            return False
        content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
        try:
            signature = base64.b64decode(params.get("sign", ""), validate=True)
            self.app_public_key.verify(signature, content.encode(), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    def _answer(self, call: AlipayCall, fault: Fault | None) -> tuple[dict[str, Any], bool]:
        """The response node and whether it is signed (gateway-level refusals are not)."""
        if not call.authorized:
            return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}, False
        if fault is not None and fault.kind == "error":
            if fault.code.startswith("ACQ."):
                return Refusal(fault.code).node, True
            return {"code": fault.code, "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error"}, True
        if fault is not None and fault.kind == "timeout" and not fault.after_processing:
            self.faults.hang()
        try:
            with self._lock:
                node = self._route(call.method, call.biz, call.params)
        except Refusal as refusal:
            node = refusal.node
        if fault is not None and fault.kind == "timeout":
            self.faults.hang()
        return node, True

    def _route(self, method: str, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        ok = {"code": "10000", "msg": "Success"}
        out_trade_no = str(biz.get("out_trade_no") or "")
        if method == "alipay.trade.precreate":
            if not params.get("notify_url") or not biz.get("subject"):
                raise Refusal("ACQ.INVALID_PARAMETER", code="40002", msg="Invalid Arguments")
            trade = self.trades.get(out_trade_no) or self.add_trade(out_trade_no, fen(biz["total_amount"]))
            if trade.amount_fen != fen(biz["total_amount"]):
                raise Refusal("ACQ.CONTEXT_INCONSISTENT")
            if trade.state in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                raise Refusal("ACQ.TRADE_HAS_SUCCESS")
            return {**ok, "out_trade_no": out_trade_no, "qr_code": f"https://qr.alipay.com/bax0{trade.qr_ref}"}
        trade = self.trades.get(out_trade_no)
        if trade is None or trade.state is None:
            if method == "alipay.trade.fastpay.refund.query":
                return {**ok, "out_trade_no": out_trade_no}
            raise Refusal("ACQ.TRADE_NOT_EXIST")
        if method == "alipay.trade.query":
            answer = {
                **ok,
                "trade_no": trade.trade_no,
                "out_trade_no": out_trade_no,
                "trade_status": trade.state,
                "total_amount": yuan(trade.amount_fen),
                "buyer_user_id": trade.buyer_id,
                "buyer_logon_id": "buy***@example.com",
            }
            if trade.paid_at:
                answer["send_pay_date"] = beijing(trade.paid_at)
            return answer
        if method == "alipay.trade.close":
            if trade.state != "WAIT_BUYER_PAY":
                raise Refusal("ACQ.TRADE_STATUS_ERROR")
            trade.state = "TRADE_CLOSED"
            return {**ok, "trade_no": trade.trade_no, "out_trade_no": out_trade_no}
        if method == "alipay.trade.refund":
            return {**ok, **self._refund(trade, biz)}
        if method == "alipay.trade.fastpay.refund.query":
            refund = self.refunds.get(str(biz.get("out_request_no")))
            if refund is None or refund.out_trade_no != out_trade_no or not refund.settled:
                return {**ok, "out_trade_no": out_trade_no}
            return {
                **ok,
                "out_trade_no": out_trade_no,
                "out_request_no": refund.out_request_no,
                "refund_amount": yuan(refund.refund_fen),
                "total_amount": yuan(trade.amount_fen),
                "refund_status": "REFUND_SUCCESS",
                "gmt_refund_pay": beijing(refund.at),
            }
        raise Refusal("isv.invalid-method", code="40002", msg="Invalid Arguments")

    def _refund(self, trade: AlipayTrade, biz: dict[str, Any]) -> dict[str, Any]:
        out_request_no = str(biz.get("out_request_no") or out_trade_no_default(trade))
        fund_change = "N"
        if out_request_no not in self.refunds:
            if trade.state != "TRADE_SUCCESS":
                raise Refusal("ACQ.TRADE_STATUS_ERROR")
            wanted = fen(biz["refund_amount"])
            already = sum(r.refund_fen for r in self.refunds.values() if r.out_trade_no == trade.out_trade_no)
            if wanted <= 0 or already + wanted > trade.amount_fen:
                raise Refusal("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
            refund = AlipayRefund(out_request_no, trade.out_trade_no, wanted, self.now(), not self.pending_refunds)
            self.refunds[out_request_no] = refund
            fund_change = "Y" if refund.settled else "N"
        refunded = sum(r.refund_fen for r in self.refunds.values() if r.out_trade_no == trade.out_trade_no)
        return {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "buy***@example.com",
            "fund_change": fund_change,
            "refund_fee": yuan(refunded),
            "gmt_refund_pay": beijing(self.refunds[out_request_no].at),
        }


def out_trade_no_default(trade: AlipayTrade) -> str:
    """Alipay's rule: without out_request_no, the refund number is the trade number (full refund)."""
    return trade.out_trade_no
