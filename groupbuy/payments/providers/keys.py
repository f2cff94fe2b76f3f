"""RSA keys from PEM files and SHA256withRSA (PKCS#1 v1.5) signatures in base64, as both providers use."""

from __future__ import annotations

import base64
import binascii
import functools
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MIN_KEY_BITS = 2048


def load_private_key(path: str | os.PathLike[str]) -> rsa.RSAPrivateKey:
    """An RSA private key (PKCS#8 or PKCS#1 PEM, unencrypted) of at least 2048 bits."""
    file = Path(path)
    return _private_key(str(file), file.stat().st_mtime_ns)


def load_public_key(path: str | os.PathLike[str]) -> tuple[rsa.RSAPublicKey, str | None]:
    """An RSA public key from a PEM public key or certificate; also the certificate's serial (hex) if any."""
    file = Path(path)
    return _public_key(str(file), file.stat().st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _private_key(path: str, _mtime_ns: int) -> rsa.RSAPrivateKey:  # mtime in the key: a replaced file is reloaded
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS:
        raise ValueError(f"{path}: expected an RSA private key of at least {MIN_KEY_BITS} bits")
    return key


@functools.lru_cache(maxsize=32)
def _public_key(path: str, _mtime_ns: int) -> tuple[rsa.RSAPublicKey, str | None]:
    data = Path(path).read_bytes()
    serial: str | None = None
    key: object
    if b"-----BEGIN CERTIFICATE-----" in data:
        certificate = x509.load_pem_x509_certificate(data)
        key = certificate.public_key()
        serial = format(certificate.serial_number, "X")
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_KEY_BITS:
        raise ValueError(f"{path}: expected an RSA public key of at least {MIN_KEY_BITS} bits")
    return key, serial


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """Base64 of SHA256withRSA (PKCS#1 v1.5) over ``message``."""
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    """True only for a valid signature; garbage (bad base64, wrong length) is simply False."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def new_nonce() -> str:
    """32 random upper-case hex characters (WeChat's nonce_str shape)."""
    return secrets.token_hex(16).upper()
