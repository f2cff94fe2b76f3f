"""A stateful fake WeChat Pay API v3 server with its own platform key.

It checks our Authorization signatures independently of our client code (401 SIGN_ERROR otherwise),
answers native / jsapi / query / close / refund with signed responses, keeps trades and refunds
(one refund per out_refund_no, like the real one), records every call, injects faults (timeouts, errors,
broken signatures) and builds notifications: signed with its platform key, resource AES-256-GCM encrypted
with the APIv3 key, including probes. Run it with ``tests.fakes.http_server.serving(fake)``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from groupbuy import clock
from tests.fakes.http_server import FaultPlan
from tests.fakes.wechatpay_callbacks import WeChatNotifications, rfc3339, sign

_AUTH = re.compile(r"^WECHATPAY2-SHA256-RSA2048 (.+)$")
_URLS = Map(
    [
        Rule("/v3/pay/transactions/native", methods=["POST"], endpoint="native"),
        Rule("/v3/pay/transactions/jsapi", methods=["POST"], endpoint="jsapi"),
        Rule("/v3/pay/transactions/out-trade-no/<out_trade_no>", methods=["GET"], endpoint="query"),
        Rule("/v3/pay/transactions/out-trade-no/<out_trade_no>/close", methods=["POST"], endpoint="close"),
        Rule("/v3/refund/domestic/refunds", methods=["POST"], endpoint="refund"),
    ]
)


class Reject(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class FakeTrade:
    out_trade_no: str
    trade_type: str  # NATIVE | JSAPI
    amount_fen: int
    openid: str | None = None
    state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None
    pay_ref: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class FakeRefund:
    out_refund_no: str
    out_trade_no: str
    refund_fen: int
    total_fen: int
    status: str = "PROCESSING"
    refund_id: str = field(default_factory=lambda: "50" + secrets.token_hex(14))
    success_time: str | None = None


@dataclass
class RecordedCall:
    method: str
    uri: str  # raw request URI, as signed
    endpoint: str | None
    body: dict[str, Any] | None
    authorized: bool
    status: int = 0


class FakeWeChatPay(WeChatNotifications):
    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        apiv3_key: bytes,
        merchant_public_key: rsa.RSAPublicKey,
        merchant_serial_no: str,
        platform_key: rsa.RSAPrivateKey,
        platform_key_id: str,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.mchid, self.appid, self.apiv3_key = mchid, appid, apiv3_key
        self.merchant_public_key, self.merchant_serial_no = merchant_public_key, merchant_serial_no
        self.platform_key, self.platform_key_id, self.now = platform_key, platform_key_id, now
        self.trades: dict[str, FakeTrade] = {}
        self.refunds: dict[str, FakeRefund] = {}
        self.calls: list[RecordedCall] = []
        self.faults = FaultPlan()
        self.url = ""  # set once served
        self.refund_status_on_create = "PROCESSING"
        self._lock = threading.Lock()

    # -- test controls ------------------------------------------------------------------------------------

    def add_trade(self, out_trade_no: str, amount_fen: int, *, trade_type: str = "NATIVE") -> FakeTrade:
        trade = FakeTrade(out_trade_no=out_trade_no, trade_type=trade_type, amount_fen=amount_fen)
        self.trades[out_trade_no] = trade
        return trade

    def pay(self, out_trade_no: str, *, openid: str = "o-fake-buyer") -> FakeTrade:
        """The buyer pays: the trade becomes SUCCESS with a transaction id."""
        trade = self.trades[out_trade_no]
        trade.state, trade.openid = "SUCCESS", trade.openid or openid
        trade.transaction_id = trade.transaction_id or "4200" + "".join(secrets.choice("0123456789") for _ in range(24))
        trade.success_time = rfc3339(self.now())
        return trade

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> FakeRefund:
        refund = self.refunds[out_refund_no]
        refund.status = status
        refund.success_time = rfc3339(self.now()) if status == "SUCCESS" else None
        return refund

    def calls_to(self, endpoint: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.endpoint == endpoint]

    def release(self) -> None:
        """Free requests held by timeout faults (call at teardown)."""
        self.faults.released.set()

    # -- HTTP -------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        uri = environ.get("REQUEST_URI") or environ["RAW_URI"]
        body = request.get_data()
        try:
            endpoint, args = _URLS.bind_to_environ(environ).match()
        except HTTPException:
            endpoint, args = None, {}
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        why = self._authorization_problem(request.method, uri, request.headers.get("Authorization", ""), body)
        call = RecordedCall(request.method, uri, endpoint, payload, authorized=why is None)
        self.calls.append(call)
        fault = self.faults.take(str(endpoint))
        status, answer = self._answer(endpoint, args, request, payload, why, fault)
        call.status = status
        data = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
        headers = self._signed_headers(data, broken=fault is not None and fault.kind == "bad_signature")
        return Response(data, status=status, headers=headers, content_type="application/json")(environ, start_response)

    def _answer(
        self, endpoint: str | None, args: dict[str, Any], request: Request, payload: Any, why: str | None, fault: Any
    ) -> tuple[int, dict[str, Any] | None]:
        if why is not None:
            return 401, {"code": "SIGN_ERROR", "message": why}
        if fault is not None and fault.kind == "error":
            return fault.status, {"code": fault.code, "message": fault.message}
        if fault is not None and fault.kind == "timeout" and not fault.after_processing:
            self.faults.hang()
            return 500, {"code": "SYSTEM_ERROR", "message": "late"}
        try:
            with self._lock:
                result = self._route(endpoint, args, request, payload)
        except Reject as exc:
            result = exc.status, {"code": exc.code, "message": exc.message}
        if fault is not None and fault.kind == "timeout":
            self.faults.hang()
        return result

    def _authorization_problem(self, method: str, uri: str, header: str, body: bytes) -> str | None:
        match = _AUTH.match(header)
        if not match:
            return "missing or unknown Authorization scheme"
        fields = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if fields.get("mchid") != self.mchid or fields.get("serial_no") != self.merchant_serial_no:
            return "unknown merchant or certificate serial"
        timestamp, nonce = fields.get("timestamp", ""), fields.get("nonce_str", "")
        if not timestamp.isdigit() or abs(self.now().timestamp() - int(timestamp)) > 300 or not nonce:
            return "timestamp or nonce invalid"
        message = f"{method}\n{uri}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"
        try:
            signature = base64.b64decode(fields.get("signature", ""), validate=True)
            self.merchant_public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "signature does not verify"
        return None

    def _signed_headers(self, data: bytes, *, broken: bool) -> dict[str, str]:
        timestamp, nonce = str(int(self.now().timestamp())), secrets.token_hex(16)
        signature = sign(self.platform_key, f"{timestamp}\n{nonce}\n".encode() + data + b"\n")
        if broken:
            signature = sign(self.platform_key, b"something else")
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.platform_key_id,
            "Request-ID": secrets.token_hex(8),
        }

    def _route(
        self, endpoint: str | None, args: dict[str, Any], request: Request, payload: Any
    ) -> tuple[int, dict[str, Any] | None]:
        if endpoint in ("native", "jsapi"):
            return self._order(endpoint, payload)
        if endpoint == "query":
            if request.args.get("mchid") != self.mchid:
                raise Reject(400, "PARAM_ERROR", "mchid")
            return 200, self._trade_json(self._trade(args["out_trade_no"]))
        if endpoint == "close":
            trade = self._trade(args["out_trade_no"])
            if not isinstance(payload, dict) or payload.get("mchid") != self.mchid:
                raise Reject(400, "PARAM_ERROR", "mchid")
            if trade.state in ("SUCCESS", "REFUND"):
                raise Reject(400, "ORDERPAID", "该订单已支付")
            trade.state = "CLOSED"
            return 204, None
        if endpoint == "refund":
            return self._refund(payload)
        raise Reject(404, "NOT_FOUND", "no such API")

    def _trade(self, out_trade_no: str) -> FakeTrade:
        if out_trade_no not in self.trades:
            raise Reject(404, "ORDER_NOT_EXIST", "订单不存在")
        return self.trades[out_trade_no]

    def _order(self, endpoint: str, body: Any) -> tuple[int, dict[str, Any]]:
        required = ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount")
        if not isinstance(body, dict) or any(key not in body for key in required):
            raise Reject(400, "PARAM_ERROR", "missing field")
        if body["appid"] != self.appid or body["mchid"] != self.mchid:
            raise Reject(400, "PARAM_ERROR", "appid/mchid")
        total = body["amount"].get("total")
        if type(total) is not int or total <= 0 or body["amount"].get("currency", "CNY") != "CNY":
            raise Reject(400, "PARAM_ERROR", "amount")
        openid = (body.get("payer") or {}).get("openid")
        if endpoint == "jsapi" and not openid:
            raise Reject(400, "PARAM_ERROR", "payer.openid")
        trade = self.trades.get(body["out_trade_no"])
        if trade is None:
            trade = self.add_trade(body["out_trade_no"], total, trade_type=endpoint.upper())
            trade.openid = openid
        elif trade.amount_fen != total or trade.trade_type != endpoint.upper():
            raise Reject(400, "INVALID_REQUEST", "out_trade_no used with other parameters")
        elif trade.state != "NOTPAY":
            raise Reject(400, "ORDERPAID" if trade.state == "SUCCESS" else "ORDER_CLOSED", "not payable")
        if endpoint == "native":
            return 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={trade.pay_ref}"}
        return 200, {"prepay_id": f"wx{trade.pay_ref}"}

    def _trade_json(self, trade: FakeTrade) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": trade.out_trade_no,
            "trade_type": trade.trade_type,
            "trade_state": trade.state,
            "trade_state_desc": trade.state,
            "amount": {"total": trade.amount_fen, "currency": "CNY"},
        }
        if trade.transaction_id:
            answer.update(
                transaction_id=trade.transaction_id,
                success_time=trade.success_time,
                payer={"openid": trade.openid},
                bank_type="OTHERS",
            )
            answer["amount"].update(payer_total=trade.amount_fen, payer_currency="CNY")
        return answer

    def _refund(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict) or not body.get("out_refund_no") or not body.get("out_trade_no"):
            raise Reject(400, "PARAM_ERROR", "missing field")
        amount = body.get("amount") or {}
        refund = self.refunds.get(body["out_refund_no"])
        if refund is None:  # a new refund number: check and create; a known one: same refund, current status
            trade = self._trade(body["out_trade_no"])
            if trade.state not in ("SUCCESS", "REFUND"):
                raise Reject(400, "INVALID_REQUEST", "trade not paid")
            if amount.get("total") != trade.amount_fen or amount.get("currency") != "CNY":
                raise Reject(400, "PARAM_ERROR", "amount.total")
            already = sum(r.refund_fen for r in self.refunds.values() if r.out_trade_no == trade.out_trade_no)
            wanted = amount.get("refund")
            if type(wanted) is not int or wanted <= 0 or already + wanted > trade.amount_fen:
                raise Reject(400, "INVALID_REQUEST", "refund exceeds what was paid")
            refund = FakeRefund(body["out_refund_no"], trade.out_trade_no, wanted, trade.amount_fen)
            refund.status = self.refund_status_on_create
            if refund.status == "SUCCESS":
                refund.success_time = rfc3339(self.now())
            self.refunds[refund.out_refund_no] = refund
            trade.state = "REFUND"
        trade = self.trades[refund.out_trade_no]
        answer = {
            "refund_id": refund.refund_id,
            "out_refund_no": refund.out_refund_no,
            "transaction_id": trade.transaction_id,
            "out_trade_no": refund.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": rfc3339(self.now()),
            "status": refund.status,
            "amount": {
                "total": refund.total_fen,
                "refund": refund.refund_fen,
                "payer_total": refund.total_fen,
                "payer_refund": refund.refund_fen,
                "currency": "CNY",
            },
        }
        if refund.success_time:
            answer["success_time"] = refund.success_time
        return 200, answer
