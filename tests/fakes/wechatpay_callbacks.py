"""Notifications as the fake WeChat Pay sends them: signed with its platform key, resource encrypted (AES-256-GCM)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CST = timezone(timedelta(hours=8))


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rfc3339(at: datetime) -> str:
    return at.astimezone(CST).isoformat(timespec="seconds")


class WeChatNotifications:
    """Mixed into FakeWeChatPay (uses its keys, trades and refunds)."""

    mchid: str
    appid: str
    apiv3_key: bytes
    platform_key: rsa.RSAPrivateKey
    platform_key_id: str
    trades: dict[str, Any]
    refunds: dict[str, Any]
    pay: Callable[..., Any]

    def sign_notification(
        self, body: bytes, *, now: datetime, serial: str | None = None, key: rsa.RSAPrivateKey | None = None
    ) -> dict[str, str]:
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16)
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        return {
            "Wechatpay-Signature": sign(key or self.platform_key, message),
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": serial or self.platform_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Request-ID": secrets.token_hex(8),
            "Content-Type": "application/json",
        }

    def build_callback(
        self,
        event_type: str,
        plain: dict[str, Any] | bytes,
        *,
        now: datetime,
        apiv3_key: bytes | None = None,
        associated_data: str = "transaction",
        decrypt_with_aad: str | None = None,
        ciphertext: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """An envelope around ``plain`` (encrypted), signed; the overrides build broken-but-signed variants."""
        nonce = secrets.token_urlsafe(9)[:12]
        data = plain if isinstance(plain, bytes) else json.dumps(plain, ensure_ascii=False).encode()
        aad = associated_data if decrypt_with_aad is None else decrypt_with_aad
        sealed = AESGCM(apiv3_key or self.apiv3_key).encrypt(nonce.encode(), data, aad.encode() or None)
        envelope = {
            "id": "EV-" + secrets.token_hex(16),
            "create_time": rfc3339(now),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功" if event_type == "TRANSACTION.SUCCESS" else "通知",
            "resource": {
                "original_type": "transaction" if event_type.startswith("TRANSACTION") else "refund",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext if ciphertext is not None else base64.b64encode(sealed).decode(),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        return self.sign_notification(body, now=now), body

    def transaction_resource(self, out_trade_no: str, **overrides: Any) -> dict[str, Any]:
        trade = self.trades[out_trade_no]
        if trade.state == "NOTPAY":
            self.pay(out_trade_no)
        resource = {
            "mchid": self.mchid,
            "appid": self.appid,
            "out_trade_no": out_trade_no,
            "transaction_id": trade.transaction_id,
            "trade_type": trade.trade_type,
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "bank_type": "OTHERS",
            "attach": "",
            "success_time": trade.success_time,
            "payer": {"openid": trade.openid},
            "amount": {"total": trade.amount_fen, "payer_total": trade.amount_fen, "currency": "CNY"},
        }
        resource.update(overrides)
        return resource

    def build_transaction_notification(
        self, out_trade_no: str, *, now: datetime, **overrides: Any
    ) -> tuple[dict[str, str], bytes]:
        """TRANSACTION.SUCCESS for a trade (paid now if it was not)."""
        return self.build_callback("TRANSACTION.SUCCESS", self.transaction_resource(out_trade_no, **overrides), now=now)

    def build_refund_notification(self, out_refund_no: str, *, now: datetime) -> tuple[dict[str, str], bytes]:
        """REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED, after the refund's current status."""
        refund = self.refunds[out_refund_no]
        trade = self.trades[refund.out_trade_no]
        resource = {
            "mchid": self.mchid,
            "out_trade_no": refund.out_trade_no,
            "transaction_id": trade.transaction_id,
            "out_refund_no": out_refund_no,
            "refund_id": refund.refund_id,
            "refund_status": refund.status,
            "success_time": refund.success_time,
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": refund.total_fen,
                "refund": refund.refund_fen,
                "payer_total": refund.total_fen,
                "payer_refund": refund.refund_fen,
            },
        }
        return self.build_callback(f"REFUND.{refund.status}", resource, now=now, associated_data="refund")
