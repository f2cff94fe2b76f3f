"""A stateful fake UnionPay 全渠道 gateway (v5.1.0) with its own certificate chain, made at test time.

It checks our requests' signatures against the merchant certificate independently of our client code (its own
signing-string and digest code), answers consume (QR) / refund / query as the raw `k=v&...` text the gateway
sends, signed by its signer with ``signPubKeyCert`` attached, keeps trades (an unpaid QR is "not found" to the
query, like the real one) and refunds (one per orderId; a resend is a duplicate, 12), records calls, injects
faults, and signs notifications (optionally with the wrong signer).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from groupbuy import clock
from tests.fakes.http_server import Fault, FaultPlan
from tests.fakes.unionpay_pki import Signer

CST = timezone(timedelta(hours=8))
ENDPOINTS = {"/gateway/api/backTransReq.do": "back", "/gateway/api/queryTrans.do": "query"}
REQUIRED = ("version", "encoding", "signMethod", "txnType", "txnSubType", "bizType", "merId", "orderId", "txnTime")


def beijing(at: datetime) -> str:
    return at.astimezone(CST).strftime("%Y%m%d%H%M%S")


def sign_with(signer: Signer, fields: dict[str, str]) -> dict[str, str]:
    """Attach signPubKeyCert, then sign: RSA-SHA256 over the SHA-256 hex of the sorted pairs without signature."""
    signed = dict(fields, signMethod="01", signPubKeyCert=signer.certificate_pem)
    text = "&".join(f"{key}={value}" for key, value in sorted(signed.items()) if key != "signature")
    digest = hashlib.sha256(text.encode()).hexdigest().encode()
    signed["signature"] = base64.b64encode(signer.key.sign(digest, padding.PKCS1v15(), hashes.SHA256())).decode()
    return signed


class Refusal(Exception):
    def __init__(self, code: str, message: str = "refused") -> None:
        super().__init__(code)
        self.code, self.message = code, message


@dataclass
class UnionPayTrade:
    order_id: str
    txn_time: str
    amount_fen: int
    pay_timeout: str
    paid: bool = False
    query_id: str = field(default_factory=lambda: "7" + "".join(secrets.choice("023456789") for _ in range(20)))
    qr_ref: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class UnionPayRefund:
    order_id: str
    txn_time: str
    orig_query_id: str
    amount_fen: int
    settled: bool = True  # False: accepted, still in progress (the query answers origRespCode 05)
    query_id: str = field(default_factory=lambda: "8" + "".join(secrets.choice("023456789") for _ in range(20)))


@dataclass
class UnionPayCall:
    endpoint: str
    fields: dict[str, str]
    authorized: bool
    resp_code: str = ""


class FakeUnionPay:
    def __init__(
        self,
        *,
        mer_id: str,
        merchant_public_key: rsa.RSAPublicKey,
        merchant_cert_id: str,
        signer: Signer,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.mer_id, self.merchant_public_key, self.merchant_cert_id = mer_id, merchant_public_key, merchant_cert_id
        self.signer, self.now = signer, now
        self.answer_signer: Signer | None = None  # answers signed by another signer (tests of trust)
        self.trades: dict[str, UnionPayTrade] = {}
        self.refunds: dict[str, UnionPayRefund] = {}
        self.calls: list[UnionPayCall] = []
        self.faults = FaultPlan()
        self.url = ""  # set once served
        self.pending_refunds = False  # True: new refunds stay in progress until settle_refund()
        self._lock = threading.Lock()

    # -- test controls ------------------------------------------------------------------------------------

    def pay(self, order_id: str) -> UnionPayTrade:
        trade = self.trades[order_id]
        trade.paid = True
        return trade

    def submit_front_form(self, fields: dict[str, str]) -> UnionPayTrade:
        """What the shopper's web-view does with an H5 pay_form: the gateway checks it and opens the trade."""
        if not self._authorized(fields) or (fields["txnType"], fields["txnSubType"]) != ("01", "01"):
            raise Refusal("11", "验证签名失败")
        trade = UnionPayTrade(fields["orderId"], fields["txnTime"], int(fields["txnAmt"]), fields["payTimeout"])
        self.trades[trade.order_id] = trade
        return trade

    def settle_refund(self, order_id: str) -> None:
        self.refunds[order_id].settled = True

    def calls_to(self, endpoint: str, txn_type: str | None = None) -> list[UnionPayCall]:
        return [c for c in self.calls if c.endpoint == endpoint and txn_type in (None, c.fields.get("txnType"))]

    def release(self) -> None:
        self.faults.released.set()

    def fail_next(self, code: str, *, endpoint: str | None = None, times: int = 1) -> None:
        """Answer respCode ``code`` (signed), e.g. "05" (unknown), "06" (busy), "11" (signature refused)."""
        self.faults.add(Fault("error", endpoint=endpoint, code=code), times)

    # -- notifications ----------------------------------------------------------------------------------

    def notify_fields(self, order_id: str, **overrides: str) -> dict[str, str]:
        """The unsigned fields of a consume notification (the trade is paid now if it was not)."""
        trade = self.pay(order_id)
        fields = {
            "version": "5.1.0",
            "encoding": "UTF-8",
            "accessType": "0",
            "bizType": "000000",
            "txnType": "01",
            "txnSubType": "07",
            "channelType": "08",
            "currencyCode": "156",
            "merId": self.mer_id,
            "orderId": order_id,
            "txnTime": trade.txn_time,
            "txnAmt": str(trade.amount_fen),
            "queryId": trade.query_id,
            "traceNo": trade.query_id[-6:],
            "traceTime": trade.txn_time[4:],
            "settleAmt": str(trade.amount_fen),
            "settleCurrencyCode": "156",
            "settleDate": trade.txn_time[4:8],
            "respCode": "00",
            "respMsg": "成功[0000000]",
            "payCardType": "01",
        }
        fields.update(overrides)
        return fields

    def sign_notify(self, fields: dict[str, str], *, signer: Signer | None = None) -> tuple[dict[str, str], bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        return headers, urlencode(sign_with(signer or self.signer, fields)).encode()

    def build_notify(self, order_id: str, **overrides: str) -> tuple[dict[str, str], bytes]:
        return self.sign_notify(self.notify_fields(order_id, **overrides))

    def build_refund_notify(self, order_id: str) -> tuple[dict[str, str], bytes]:
        refund = self.refunds[order_id]
        fields = {
            "version": "5.1.0",
            "encoding": "UTF-8",
            "accessType": "0",
            "bizType": "000000",
            "txnType": "04",
            "txnSubType": "00",
            "channelType": "07",
            "merId": self.mer_id,
            "orderId": order_id,
            "origQryId": refund.orig_query_id,
            "txnTime": refund.txn_time,
            "txnAmt": str(refund.amount_fen),
            "queryId": refund.query_id,
            "respCode": "00",
            "respMsg": "成功[0000000]",
        }
        return self.sign_notify(fields)

    # -- HTTP -------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        endpoint = ENDPOINTS.get(request.path, "")
        fields = {key: request.form[key] for key in request.form}
        call = UnionPayCall(endpoint, fields, authorized=self._authorized(fields))
        self.calls.append(call)
        fault = self.faults.take(endpoint)
        if fault is not None and fault.kind == "http_error":
            return Response(b"bad gateway", status=fault.status)(environ, start_response)
        answer = self._answer(call, fault)
        call.resp_code = answer["respCode"]
        signed = sign_with(self.answer_signer or self.signer, answer)
        if fault is not None and fault.kind == "bad_signature":
            signed["respMsg"] = signed.get("respMsg", "") + "x"  # changed after signing
        # The gateway answers raw `k=v&...` text, not percent-encoded.
        body = "&".join(f"{key}={value}" for key, value in signed.items()).encode()
        return Response(body, content_type="text/plain;charset=UTF-8")(environ, start_response)

    def _authorized(self, fields: dict[str, str]) -> bool:
        if any(not fields.get(key) for key in REQUIRED) or fields.get("merId") != self.mer_id:
            return False
        if (fields["version"], fields["encoding"], fields["signMethod"]) != ("5.1.0", "UTF-8", "01"):
            return False
        if fields.get("certId") != self.merchant_cert_id:
            return False
        text = "&".join(f"{key}={value}" for key, value in sorted(fields.items()) if key != "signature")
        digest = hashlib.sha256(text.encode()).hexdigest().encode()
        try:
            signature = base64.b64decode(fields.get("signature", ""), validate=True)
            self.merchant_public_key.verify(signature, digest, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True

    def _answer(self, call: UnionPayCall, fault: Fault | None) -> dict[str, str]:
        fields = call.fields
        base = {
            "version": "5.1.0",
            "encoding": "UTF-8",
            "accessType": "0",
            "merId": self.mer_id,
            "orderId": fields.get("orderId", ""),
            "txnTime": fields.get("txnTime", ""),
            "txnType": fields.get("txnType", ""),
            "txnSubType": fields.get("txnSubType", ""),
            "bizType": fields.get("bizType", ""),
        }
        if not call.authorized:
            return base | {"respCode": "11", "respMsg": "验证签名失败"}
        if fault is not None and fault.kind == "error":
            return base | {"respCode": fault.code, "respMsg": fault.message}
        if fault is not None and fault.kind == "timeout" and not fault.after_processing:
            self.faults.hang()
        try:
            with self._lock:
                answer = base | self._route(call.endpoint, fields)
        except Refusal as refusal:
            answer = base | {"respCode": refusal.code, "respMsg": refusal.message}
        if fault is not None and fault.kind == "timeout":
            self.faults.hang()
        return answer

    def _route(self, endpoint: str, fields: dict[str, str]) -> dict[str, str]:
        ok = {"respCode": "00", "respMsg": "成功[0000000]"}
        order_id, txn_time = fields["orderId"], fields["txnTime"]
        if endpoint == "query":
            return ok | self._query(order_id, txn_time)
        if endpoint != "back":
            raise Refusal("10", "报文格式错误")
        if (fields["txnType"], fields["txnSubType"]) == ("01", "07"):
            if not fields.get("backUrl") or fields.get("currencyCode") != "156":
                raise Refusal("13", "报文交易要素缺失")
            if order_id in self.trades or order_id in self.refunds:
                raise Refusal("12", "重复交易")
            trade = UnionPayTrade(order_id, txn_time, int(fields["txnAmt"]), fields.get("payTimeout", ""))
            self.trades[order_id] = trade
            return ok | {"qrCode": f"https://qr.95516.com/00010000/0{trade.qr_ref}"}
        if fields["txnType"] == "04":
            return ok | self._refund(fields)
        raise Refusal("10", "报文格式错误")

    def _query(self, order_id: str, txn_time: str) -> dict[str, str]:
        trade = self.trades.get(order_id)
        if trade is not None and trade.txn_time == txn_time and trade.paid:
            return {
                "origRespCode": "00",
                "origRespMsg": "成功[0000000]",
                "queryId": trade.query_id,
                "txnAmt": str(trade.amount_fen),
                "settleAmt": str(trade.amount_fen),
            }
        refund = self.refunds.get(order_id)
        if refund is not None and refund.txn_time == txn_time:
            return {
                "origRespCode": "00" if refund.settled else "05",
                "origRespMsg": "成功[0000000]" if refund.settled else "交易已受理",
                "queryId": refund.query_id,
                "origQryId": refund.orig_query_id,
                "txnAmt": str(refund.amount_fen),
            }
        raise Refusal("34", "查无此交易")

    def _refund(self, fields: dict[str, str]) -> dict[str, str]:
        order_id = fields["orderId"]
        if order_id in self.refunds or order_id in self.trades:
            raise Refusal("12", "重复交易")
        trade = next((t for t in self.trades.values() if t.query_id == fields.get("origQryId")), None)
        if trade is None or not trade.paid:
            raise Refusal("35", "原交易不存在或状态不正确")
        wanted = int(fields["txnAmt"])
        already = sum(r.amount_fen for r in self.refunds.values() if r.orig_query_id == trade.query_id)
        if wanted <= 0 or already + wanted > trade.amount_fen:
            raise Refusal("36", "与原交易信息不符")
        refund = UnionPayRefund(order_id, fields["txnTime"], trade.query_id, wanted, settled=not self.pending_refunds)
        self.refunds[order_id] = refund
        return {"origQryId": trade.query_id, "txnAmt": str(wanted), "queryId": refund.query_id}
