"""The sandbox provider (development default): a real, signed provider that moves no money.

- ``create_payment`` returns ``{PUBLIC_BASE_URL}/pay/sandbox/<token>``; the token is signed (itsdangerous,
  HMAC-SHA256) and names the out_trade_no, amount and expiry: ``read_checkout(token)`` gives them back.
- ``build_callback`` is what the checkout page's "pay" button sends; ``parse_callback`` verifies it
  exactly like the real providers (HMAC-SHA256 over "timestamp\\nnonce\\nbody\\n", 5-minute window).
- It keeps no state: ``query`` always answers NOTPAY, ``close`` always succeeds and refunds succeed at once
  with a deterministic refund id. The payments domain records what happened to sandbox payments; its
  reconciliation must not cancel a sandbox payment it already recorded as paid.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadData, URLSafeSerializer

from groupbuy import clock
from groupbuy.payments.providers.base import (
    MAX_NOTIFY_BYTES,
    CallbackEvent,
    CreatedPayment,
    HeaderSource,
    InvalidCallback,
    NotifyReply,
    PaymentChannel,
    PaymentFailed,
    PaymentSucceeded,
    ProviderName,
    ProviderRefundStatus,
    RefundResult,
    Rejection,
    TradeQuery,
    TradeStatus,
    check_fen,
    check_out_refund_no,
    check_out_trade_no,
    check_timestamp,
    lower_headers,
    parse_rfc3339,
    strict_int,
)
from groupbuy.settings import Settings

SANDBOX_MERCHANT = "sandbox"
SIGNATURE_HEADER, TIMESTAMP_HEADER, NONCE_HEADER = "Sandbox-Signature", "Sandbox-Timestamp", "Sandbox-Nonce"
_SUCCESS, _FAIL = "TRANSACTION.SUCCESS", "TRANSACTION.FAIL"
_FAILURES = frozenset({TradeStatus.PAYERROR, TradeStatus.CLOSED})


class InvalidCheckoutToken(Exception):
    """The sandbox checkout token was not made by this key (or is damaged)."""


@dataclass(frozen=True)
class SandboxCheckout:
    out_trade_no: str
    amount_fen: int
    expires_at: datetime


def sandbox_key(settings: Settings) -> bytes:
    """SANDBOX_SIGNING_KEY: set, or made at random per install in development (groupbuy.config); never
    derived from SECRET_KEY, whose development default is public."""
    explicit = settings.sandbox_signing_key
    if not explicit:
        raise ValueError("SANDBOX_SIGNING_KEY is required for the sandbox")
    return explicit.encode()


class SandboxProvider:
    """``PaymentProvider`` for the built-in sandbox checkout page."""

    def __init__(self, *, signing_key: bytes, public_base_url: str, now: Callable[[], datetime] = clock.now) -> None:
        if len(signing_key) < 16:
            raise ValueError("the sandbox signing key must have at least 16 bytes")
        self._key, self._base, self._now = signing_key, public_base_url.rstrip("/"), now
        self._tokens = URLSafeSerializer(
            signing_key, salt="groupbuy.payments.sandbox.checkout", signer_kwargs={"digest_method": hashlib.sha256}
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxProvider:
        return cls(signing_key=sandbox_key(settings), public_base_url=settings.public_base_url)

    @property
    def name(self) -> ProviderName:
        return ProviderName.SANDBOX

    def create_payment(
        self,
        *,
        channel: PaymentChannel,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        expires_at: datetime,
        payer_openid: str | None = None,
        placed_at: datetime | None = None,  # UnionPay's; unused here
    ) -> CreatedPayment:
        """A code_url pointing at our own checkout page, with a signed token naming the trade."""
        check_out_trade_no(out_trade_no)
        check_fen(amount_fen)
        if channel is not PaymentChannel.SANDBOX:
            raise ValueError(f"the sandbox does not serve channel {channel}")
        token = self._tokens.dumps({"o": out_trade_no, "a": amount_fen, "e": int(expires_at.timestamp())})
        return CreatedPayment(out_trade_no=out_trade_no, code_url=f"{self._base}/pay/sandbox/{token}")

    def read_checkout(self, token: str) -> SandboxCheckout:
        """What a checkout token names; InvalidCheckoutToken unless this key signed it."""
        try:
            data = self._tokens.loads(token)
            return SandboxCheckout(
                out_trade_no=check_out_trade_no(data["o"]),
                amount_fen=check_fen(data["a"]),
                expires_at=datetime.fromtimestamp(strict_int(data["e"]), UTC),
            )
        except (BadData, KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
            raise InvalidCheckoutToken from exc

    def query(self, out_trade_no: str, *, placed_at: datetime | None = None) -> TradeQuery:
        """Stateless: always NOTPAY (the payments domain holds the sandbox's truth)."""
        return TradeQuery(out_trade_no=check_out_trade_no(out_trade_no), status=TradeStatus.NOTPAY)

    def close(self, out_trade_no: str, *, placed_at: datetime | None = None) -> None:
        check_out_trade_no(out_trade_no)

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
        transaction_id: str | None = None,  # UnionPay's; unused here
        placed_at: datetime | None = None,
        requested_at: datetime | None = None,
    ) -> RefundResult:
        """Succeeds at once; the same out_refund_no always gets the same refund id."""
        check_out_trade_no(out_trade_no)
        check_out_refund_no(out_refund_no)
        if check_fen(refund_fen, "refund_fen") > check_fen(total_fen, "total_fen"):
            raise ValueError("refund_fen exceeds total_fen")
        return RefundResult(
            out_refund_no=out_refund_no,
            status=ProviderRefundStatus.SUCCESS,
            refund_fen=refund_fen,
            refund_id=self._derived_id("SBR", f"refund:{out_trade_no}:{out_refund_no}"),
            succeeded_at=self._now(),
        )

    def transaction_id_for(self, out_trade_no: str) -> str:
        """The sandbox's stable transaction id for a trade (so duplicates dedupe like real ones)."""
        return self._derived_id("SB", f"trade:{out_trade_no}")

    def build_callback(
        self, out_trade_no: str, amount_fen: int, result: TradeStatus, now: datetime
    ) -> tuple[dict[str, str], bytes]:
        """A signed notification: result SUCCESS (paid) or PAYERROR / CLOSED (not paid)."""
        check_out_trade_no(out_trade_no)
        check_fen(amount_fen)
        if result is not TradeStatus.SUCCESS and result not in _FAILURES:
            raise ValueError("result must be SUCCESS, PAYERROR or CLOSED")
        envelope = {
            "id": f"SBEV-{secrets.token_hex(12)}",
            "event_type": _SUCCESS if result is TradeStatus.SUCCESS else _FAIL,
            "out_trade_no": out_trade_no,
            "transaction_id": self.transaction_id_for(out_trade_no),
            "trade_state": result.value,
            "amount_fen": amount_fen,
            "paid_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        }
        body = json.dumps(envelope, separators=(",", ":")).encode()
        timestamp, nonce = str(int(now.timestamp())), secrets.token_hex(16)
        headers = {
            SIGNATURE_HEADER: self._signature(timestamp, nonce, body),
            TIMESTAMP_HEADER: timestamp,
            NONCE_HEADER: nonce,
        }
        return headers, body

    def parse_callback(self, headers: HeaderSource, body: bytes, *, now: datetime) -> CallbackEvent:
        """Verify HMAC and the 5-minute window, then decode."""
        if len(body) > MAX_NOTIFY_BYTES:
            raise InvalidCallback(Rejection.TOO_LARGE)
        lowered = lower_headers(headers)
        signature = lowered.get(SIGNATURE_HEADER.lower(), "")
        timestamp, nonce = lowered.get(TIMESTAMP_HEADER.lower(), ""), lowered.get(NONCE_HEADER.lower(), "")
        if not (signature and timestamp and nonce):
            raise InvalidCallback(Rejection.MISSING_SIGNATURE)
        check_timestamp(timestamp, now)
        try:
            expected = self._signature(timestamp, nonce, body)
        except UnicodeEncodeError as exc:
            raise InvalidCallback(Rejection.MALFORMED, "nonce") from exc
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise InvalidCallback(Rejection.BAD_SIGNATURE)
        try:
            return self._event(json.loads(body))
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            raise InvalidCallback(Rejection.MALFORMED) from exc

    def accepted_reply(self) -> NotifyReply:
        return NotifyReply(status=204, body=b"", content_type=None)

    def rejected_reply(self, message: str, *, status: int = 400) -> NotifyReply:
        body = json.dumps({"code": "FAIL", "message": message[:200]}, ensure_ascii=False).encode()
        return NotifyReply(status=status, body=body, content_type="application/json")

    def _event(self, data: Any) -> CallbackEvent:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        event_id, out_trade_no = str(data["id"]), check_out_trade_no(data["out_trade_no"])
        state = TradeStatus(data["trade_state"])
        if data["event_type"] == _SUCCESS and state is TradeStatus.SUCCESS:
            return PaymentSucceeded(
                out_trade_no=out_trade_no,
                transaction_id=str(data["transaction_id"]),
                amount_fen=check_fen(data["amount_fen"]),
                mchid=SANDBOX_MERCHANT,
                appid=SANDBOX_MERCHANT,
                event_id=event_id,
                paid_at=parse_rfc3339(data["paid_at"]),
            )
        if data["event_type"] == _FAIL and state in _FAILURES:
            return PaymentFailed(out_trade_no=out_trade_no, event_id=event_id, status=state)
        raise ValueError("inconsistent event")

    def _signature(self, timestamp: str, nonce: str, body: bytes) -> str:
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _derived_id(self, prefix: str, material: str) -> str:
        digest = hmac.new(self._key, material.encode(), hashlib.sha256).hexdigest().upper()
        return f"{prefix}{digest[: 32 - len(prefix)]}"
