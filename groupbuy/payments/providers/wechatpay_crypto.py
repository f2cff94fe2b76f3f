"""WeChat Pay API v3 signatures and AEAD_AES_256_GCM resource decryption (research/reliability.md §1).

Request:  SHA256withRSA(merchant key, "METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n") in the Authorization header.
Response and notification: SHA256withRSA(WeChat Pay key, "timestamp\\nnonce\\nbody\\n"), key chosen by
Wechatpay-Serial (a platform certificate serial or a PUB_KEY_ID_...).
paySign: SHA256withRSA(merchant key, "appId\\ntimeStamp\\nnonceStr\\npackage\\n").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from groupbuy.payments.providers.base import InvalidCallback, Rejection, check_timestamp
from groupbuy.payments.providers.keys import rsa_sign, rsa_verify

AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
AEAD_ALGORITHM = "AEAD_AES_256_GCM"
APIV3_KEY_BYTES = 32
_MAX_HEADER = 1024


def request_message(method: str, url: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The string a merchant signs: five lines, each ending in a newline (the body line too)."""
    return f"{method}\n{url}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def build_authorization(
    *,
    mchid: str,
    serial_no: str,
    key: rsa.RSAPrivateKey,
    method: str,
    url: str,
    body: bytes,
    timestamp: str,
    nonce: str,
) -> str:
    """The Authorization header value for one request (``url`` = path with query, exactly as sent)."""
    signature = rsa_sign(key, request_message(method, url, timestamp, nonce, body))
    return (
        f'{AUTH_SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def pay_sign(key: rsa.RSAPrivateKey, *, appid: str, timestamp: str, nonce: str, package: str) -> str:
    """paySign for wx.requestPayment (signType RSA): four lines, the last one ending in a newline too."""
    return rsa_sign(key, f"{appid}\n{timestamp}\n{nonce}\n{package}\n".encode())


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What WeChat Pay signs in responses and notifications: timestamp, nonce and the raw body, one per line."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def verify_wechatpay_signature(
    headers: Mapping[str, str], body: bytes, *, keys: Mapping[str, rsa.RSAPublicKey], now: datetime
) -> None:
    """Check Wechatpay-* headers (lower-cased names) against ``body``; raise InvalidCallback otherwise.

    Order matters: cheap header checks first, no network ever (an unknown serial is refused, not fetched).
    """
    signature = headers.get("wechatpay-signature", "")
    timestamp = headers.get("wechatpay-timestamp", "")
    nonce = headers.get("wechatpay-nonce", "")
    serial = headers.get("wechatpay-serial", "")
    if not (signature and timestamp and nonce and serial):
        raise InvalidCallback(Rejection.MISSING_SIGNATURE)
    if max(len(signature), len(nonce), len(serial)) > _MAX_HEADER:
        raise InvalidCallback(Rejection.MALFORMED, "header too long")
    if signature.startswith(PROBE_PREFIX):
        raise InvalidCallback(Rejection.PROBE)
    signature_type = headers.get("wechatpay-signature-type")
    if signature_type is not None and signature_type != AUTH_SCHEME:
        raise InvalidCallback(Rejection.UNSUPPORTED, "signature type")
    check_timestamp(timestamp, now)
    key = keys.get(serial)
    if key is None:
        raise InvalidCallback(Rejection.UNKNOWN_KEY)
    try:
        message = signed_message(timestamp, nonce, body)
    except UnicodeEncodeError as exc:  # only from a hand-made mapping; HTTP headers always encode
        raise InvalidCallback(Rejection.MALFORMED, "nonce") from exc
    if not rsa_verify(key, message, signature):
        raise InvalidCallback(Rejection.BAD_SIGNATURE)


def decrypt_resource(resource: object, apiv3_key: bytes) -> dict[str, Any]:
    """Decrypt a notification ``resource`` (AES-256-GCM, key = APIv3 key) into its JSON object."""
    if not isinstance(resource, dict):
        raise InvalidCallback(Rejection.MALFORMED, "resource")
    if resource.get("algorithm") != AEAD_ALGORITHM:
        raise InvalidCallback(Rejection.UNSUPPORTED, "algorithm")
    ciphertext, nonce = resource.get("ciphertext"), resource.get("nonce")
    associated_data = resource.get("associated_data", "")
    if associated_data is None:
        associated_data = ""
    if not (isinstance(ciphertext, str) and isinstance(nonce, str) and isinstance(associated_data, str)):
        raise InvalidCallback(Rejection.MALFORMED, "resource fields")
    try:  # a JSON string may hold lone surrogates, which do not encode
        nonce_bytes, aad = nonce.encode(), associated_data.encode()
    except UnicodeEncodeError as exc:
        raise InvalidCallback(Rejection.MALFORMED, "resource fields") from exc
    if not 8 <= len(nonce_bytes) <= 64:  # AES-GCM nonces: WeChat sends 12 characters
        raise InvalidCallback(Rejection.MALFORMED, "nonce")
    try:
        sealed = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCallback(Rejection.MALFORMED, "ciphertext is not base64") from exc
    if len(sealed) <= 16:  # the 16-byte tag alone, or less
        raise InvalidCallback(Rejection.MALFORMED, "ciphertext too short")
    try:
        plain = AESGCM(apiv3_key).decrypt(nonce_bytes, sealed, aad or None)
    except (InvalidTag, ValueError) as exc:
        raise InvalidCallback(Rejection.UNDECRYPTABLE) from exc
    try:
        data = json.loads(plain)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidCallback(Rejection.MALFORMED, "plaintext is not JSON") from exc
    if not isinstance(data, dict):
        raise InvalidCallback(Rejection.MALFORMED, "plaintext is not an object")
    return data


def encrypt_resource(plain: bytes, apiv3_key: bytes, *, nonce: str, associated_data: str) -> str:
    """The inverse of ``decrypt_resource`` (base64 of ciphertext||tag); used by test fakes and tools."""
    sealed = AESGCM(apiv3_key).encrypt(nonce.encode(), plain, associated_data.encode() or None)
    return base64.b64encode(sealed).decode("ascii")
