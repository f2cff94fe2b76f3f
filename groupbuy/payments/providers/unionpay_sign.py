"""UnionPay 全渠道 gateway v5.1.0 wire details: the signed `k=v&...` string, signatures, keys and certificates.

Signing (signMethod=01): sort every field but ``signature`` by name, join ``k=v`` with ``&``, take the SHA-256
hex digest of that string, sign the digest's ASCII with SHA256withRSA (PKCS#1 v1.5), base64. Our key comes as
a PKCS#12 (.pfx) with a password; ``certId`` is the decimal serial of its certificate. Answers and
notifications carry their signer's certificate (``signPubKeyCert``, PEM): it is trusted only when our
configured intermediate issued it, our root issued the intermediate, both are valid now, and its CN names
UnionPay's signing organisation (``041@<id>@中国银联股份有限公司@<n>``: the third ``@`` segment).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from groupbuy.payments.providers.base import CHINA_TZ, InvalidCallback, Rejection
from groupbuy.payments.providers.keys import MIN_KEY_BITS, rsa_sign, rsa_verify

TXN_TIME_FORMAT = "%Y%m%d%H%M%S"
_MAX_ANSWER_FIELDS = 100


def signing_string(fields: Mapping[str, str]) -> str:
    """Every field except ``signature``, sorted by name, as ``k=v`` joined by ``&`` (values as sent, not encoded)."""
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "signature")


def _digest(fields: Mapping[str, str]) -> bytes:
    return hashlib.sha256(signing_string(fields).encode("utf-8")).hexdigest().encode("ascii")


def sign_fields(key: rsa.RSAPrivateKey, fields: Mapping[str, str]) -> str:
    """The ``signature`` value for ``fields`` (signMethod=01)."""
    return rsa_sign(key, _digest(fields))


def signature_valid(key: rsa.RSAPublicKey, fields: Mapping[str, str]) -> bool:
    return rsa_verify(key, _digest(fields), fields.get("signature", ""))


def txn_time(value: datetime) -> str:
    """An aware time as UnionPay's yyyyMMddHHmmss in Beijing time."""
    if value.tzinfo is None:
        raise ValueError("time must be aware")
    return value.astimezone(CHINA_TZ).strftime(TXN_TIME_FORMAT)


def parse_txn_time(value: object) -> datetime:
    """yyyyMMddHHmmss (Beijing) as UTC, or ValueError."""
    if not isinstance(value, str) or len(value) != 14 or not value.isascii() or not value.isdigit():
        raise ValueError("txnTime must be 14 digits")
    naive = datetime.strptime(value, TXN_TIME_FORMAT)  # noqa: DTZ007 - the zone is fixed on the next line
    return naive.replace(tzinfo=CHINA_TZ).astimezone(UTC)


def parse_fen(value: object) -> int:
    """txnAmt: a positive integer number of fen written in ASCII digits, or ValueError."""
    if not isinstance(value, str) or not (0 < len(value) <= 12) or not value.isascii() or not value.isdigit():
        raise ValueError("txnAmt must be 1-12 digits")
    amount = int(value)
    if amount <= 0:
        raise ValueError("txnAmt must be positive")
    return amount


def parse_answer(text: str) -> dict[str, str]:
    """A gateway answer: ``k=v&k=v``, not percent-encoded, values possibly ``{...}`` groups holding ``&`` and ``=``.

    Each pair splits at its first ``=``; ``&`` inside braces does not end a value. ValueError on anything else.
    """
    fields: dict[str, str] = {}
    pos, end = 0, len(text.rstrip("\r\n"))
    while pos < end:
        equals = text.find("=", pos, end)
        if equals <= pos:
            raise ValueError("expected key=value")
        key, cursor, depth = text[pos:equals], equals + 1, 0
        while cursor < end:
            char = text[cursor]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth < 0:
                    raise ValueError("unbalanced braces")
            elif char == "&" and depth == 0:
                break
            cursor += 1
        if depth != 0 or key in fields or "&" in key or len(fields) >= _MAX_ANSWER_FIELDS:
            raise ValueError("unbalanced braces, repeated key or too many fields")
        fields[key] = text[equals + 1 : cursor]
        pos = cursor + 1
    return fields


# -- our signing key ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MerchantSigner:
    key: rsa.RSAPrivateKey = field(repr=False)
    cert_id: str  # decimal serial of the signing certificate

    def sign(self, fields: Mapping[str, str]) -> str:
        return sign_fields(self.key, fields)


def load_signer(path: str | os.PathLike[str], password: str) -> MerchantSigner:
    """The merchant's PKCS#12 signing key and certificate id (files replaced on disk are reloaded)."""
    file = Path(path)
    return _signer(str(file), file.stat().st_mtime_ns, password)


@functools.lru_cache(maxsize=8)
def _signer(path: str, _mtime_ns: int, password: str) -> MerchantSigner:
    key, certificate, _ = pkcs12.load_key_and_certificates(Path(path).read_bytes(), password.encode("utf-8"))
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS or certificate is None:
        raise ValueError(f"{path}: expected an RSA key of at least {MIN_KEY_BITS} bits with its certificate")
    return MerchantSigner(key=key, cert_id=str(certificate.serial_number))


# -- UnionPay's signer certificate --------------------------------------------------------------------------------


def load_certificate(path: str | os.PathLike[str]) -> x509.Certificate:
    file = Path(path)
    return _certificate(str(file), file.stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _certificate(path: str, _mtime_ns: int) -> x509.Certificate:
    data = Path(path).read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _valid_at(certificate: x509.Certificate, now: datetime) -> bool:
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc


def _issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def signer_org(certificate: x509.Certificate) -> str | None:
    """The organisation named by the CN's third ``@`` segment (UnionPay's convention), if any."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(names) != 1:
        return None
    parts = str(names[0].value).split("@")
    return parts[2] if len(parts) >= 3 else None


@dataclass(frozen=True)
class TrustChain:
    """Our configured root and intermediate, and the organisation a signer's CN must name."""

    root: x509.Certificate
    intermediate: x509.Certificate
    signer_name: str  # the organisation a signer CN must name: GROUPBUY_UNIONPAY_SIGNER_NAME

    def __post_init__(self) -> None:
        if not (_is_ca(self.root) and _is_ca(self.intermediate)):
            raise ValueError("the UnionPay root and intermediate certificates must be CA certificates")
        if not _issued_by(self.intermediate, self.root):
            raise ValueError("the UnionPay intermediate certificate is not issued by the configured root")
        if not self.signer_name:
            raise ValueError("the expected UnionPay signer name is empty")

    def signer_key(self, pem: str, *, now: datetime) -> rsa.RSAPublicKey:
        """The signer's public key once its certificate checks out; InvalidCallback(UNKNOWN_KEY) otherwise."""
        if not pem:
            raise InvalidCallback(Rejection.MISSING_SIGNATURE, "signPubKeyCert")
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise InvalidCallback(Rejection.UNKNOWN_KEY, "unreadable signPubKeyCert") from exc
        if not _issued_by(certificate, self.intermediate) or _is_ca(certificate):
            raise InvalidCallback(Rejection.UNKNOWN_KEY, "signer not issued by our intermediate")
        if not (_valid_at(certificate, now) and _valid_at(self.intermediate, now) and _valid_at(self.root, now)):
            raise InvalidCallback(Rejection.UNKNOWN_KEY, "certificate outside its validity")
        if signer_org(certificate) != self.signer_name:
            raise InvalidCallback(Rejection.UNKNOWN_KEY, "signer is not UnionPay")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_KEY_BITS:
            raise InvalidCallback(Rejection.UNSUPPORTED, "signer key")
        return key

    def verify(self, fields: Mapping[str, str], *, now: datetime) -> None:
        """signMethod 01, a trusted signer certificate and a valid signature; InvalidCallback otherwise."""
        if not fields.get("signature"):
            raise InvalidCallback(Rejection.MISSING_SIGNATURE)
        if fields.get("signMethod") != "01":
            raise InvalidCallback(Rejection.UNSUPPORTED, "signMethod")
        key = self.signer_key(fields.get("signPubKeyCert", ""), now=now)
        if not signature_valid(key, fields):
            raise InvalidCallback(Rejection.BAD_SIGNATURE)
