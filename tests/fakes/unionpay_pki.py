"""Throwaway UnionPay certificates, made at test time: root -> intermediate -> signer, the merchant's PKCS#12,
and the wrong ones (another CA, another organisation, an expired signer). Nothing here is ever committed."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.fakes.payment_keys import throwaway_key, write

UNIONPAY_ORG = "中国银联股份有限公司"
MERCHANT_CERT_SERIAL = 69026276696  # decimal, as certId
MERCHANT_PFX_PASSWORD = "000000"  # test only
VALID_FROM = datetime(2026, 1, 1, tzinfo=UTC)


def _name(common_name: str, unit: str = "China UnionPay Test") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "China UnionPay"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    ca: bool,
    serial: int,
    valid_from: datetime = VALID_FROM,
    days: int = 3650,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass(frozen=True)
class Chain:
    root: x509.Certificate
    middle: x509.Certificate
    middle_key: rsa.RSAPrivateKey


def _chain(prefix: str) -> Chain:
    root_key, middle_key = throwaway_key(f"{prefix}-root"), throwaway_key(f"{prefix}-middle")
    root = issue(_name(f"{prefix} Root CA"), root_key, issuer=None, issuer_key=root_key, ca=True, serial=1)
    middle = issue(_name(f"{prefix} Middle CA"), middle_key, issuer=root, issuer_key=root_key, ca=True, serial=2)
    return Chain(root, middle, middle_key)


@dataclass(frozen=True)
class Signer:
    """A key and the certificate (PEM) that goes out as signPubKeyCert."""

    key: rsa.RSAPrivateKey
    certificate_pem: str


@dataclass(frozen=True)
class UnionPayPki:
    chain: Chain  # the one we configure
    foreign_chain: Chain  # another CA altogether
    signer: Signer  # UnionPay's genuine signer
    foreign_signer: Signer  # same organisation name, issued by another CA
    wrong_org_signer: Signer  # issued by the genuine intermediate, another organisation
    expired_signer: Signer  # genuine, outside its validity
    merchant_key: rsa.RSAPrivateKey
    merchant_certificate: x509.Certificate


def _signer(
    chain: Chain, key_name: str, common_name: str, *, serial: int, valid_from: datetime = VALID_FROM, days: int = 3650
) -> Signer:
    key = throwaway_key(key_name)
    certificate = issue(
        _name(common_name),
        key,
        issuer=chain.middle,
        issuer_key=chain.middle_key,
        ca=False,
        serial=serial,
        valid_from=valid_from,
        days=days,
    )
    return Signer(key, pem(certificate))


@functools.cache
def unionpay_pki() -> UnionPayPki:
    genuine, other = _chain("UnionPay Test"), _chain("Impostor")
    signer_cn = f"041@Z12345678901234@{UNIONPAY_ORG}@00000001"
    merchant_key = throwaway_key("unionpay-merchant")
    merchant_name = _name("041@Z00000000000001@groupbuy@00000001", unit="Merchant")
    merchant_certificate = issue(
        merchant_name,
        merchant_key,
        issuer=genuine.middle,
        issuer_key=genuine.middle_key,
        ca=False,
        serial=MERCHANT_CERT_SERIAL,
    )
    return UnionPayPki(
        chain=genuine,
        foreign_chain=other,
        signer=_signer(genuine, "unionpay-signer", signer_cn, serial=0x6A01),
        foreign_signer=_signer(other, "unionpay-impostor", signer_cn, serial=0x6A02),
        wrong_org_signer=_signer(genuine, "unionpay-other-org", "041@Z1@某某科技有限公司@00000001", serial=0x6A03),
        expired_signer=_signer(
            genuine, "unionpay-signer", signer_cn, serial=0x6A04, valid_from=datetime(2020, 1, 1, tzinfo=UTC), days=365
        ),
        merchant_key=merchant_key,
        merchant_certificate=merchant_certificate,
    )


def write_unionpay_files(directory: Path, password: str = MERCHANT_PFX_PASSWORD) -> dict[str, str]:
    """The merchant .pfx and UnionPay's root and intermediate as files, like a real deployment has them."""
    pki = unionpay_pki()
    pfx = pkcs12.serialize_key_and_certificates(
        b"groupbuy",
        pki.merchant_key,
        pki.merchant_certificate,
        None,
        serialization.BestAvailableEncryption(password.encode()),
    )
    return {
        "unionpay_pfx": write(directory, "unionpay-sign.pfx", pfx),
        "unionpay_root": write(directory, "unionpay-root.cer", pem(pki.chain.root).encode()),
        "unionpay_middle": write(directory, "unionpay-middle.cer", pem(pki.chain.middle).encode()),
    }
