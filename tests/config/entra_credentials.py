"""Real PEM key material for config tests (the loader now loads it): an RSA key and its self-signed certificate."""

from __future__ import annotations

import datetime
import functools

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID


def _key_pem(key: CertificateIssuerPrivateKeyTypes, encryption: serialization.KeySerializationEncryption) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


def _certificate_pem(key: CertificateIssuerPrivateKeyTypes) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp-bridge")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@functools.cache
def rsa_pair() -> tuple[str, str]:
    """(private key PEM, certificate PEM) that belong together."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _key_pem(key, serialization.NoEncryption()), _certificate_pem(key)


@functools.cache
def other_certificate() -> str:
    return _certificate_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@functools.cache
def encrypted_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _key_pem(key, serialization.BestAvailableEncryption(b"passphrase"))


@functools.cache
def ec_key() -> str:
    return _key_pem(ec.generate_private_key(ec.SECP256R1()), serialization.NoEncryption())
