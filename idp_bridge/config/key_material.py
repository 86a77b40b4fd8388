"""Offline checks of PEM key material in the config (the Entra certificate credential), with `cryptography`."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

MIN_RSA_BITS = 2048


def private_key_problem(pem: str) -> str | None:
    """Why `pem` cannot sign Entra client assertions (an unencrypted PEM RSA key of 2048+ bits), or None."""
    try:
        key = _load_key(pem)
    except TypeError:
        return "is an encrypted private key: give it unencrypted (from a secret store or a 0600 file)"
    except (ValueError, UnsupportedAlgorithm):
        return "is not a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
    if not isinstance(key, rsa.RSAPrivateKey):
        return "must be an RSA key (Entra certificate credentials are RSA)"
    if key.key_size < MIN_RSA_BITS:
        return f"must be an RSA key of at least {MIN_RSA_BITS} bits (got {key.key_size})"
    return None


def certificate_problem(pem: str) -> str | None:
    """Why `pem` is not a PEM X.509 certificate, or None."""
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return "is not a PEM certificate (-----BEGIN CERTIFICATE-----)"
    return None


def pair_problem(private_key_pem: str, certificate_pem: str) -> str | None:
    """Why the certificate does not belong to the key (both already known to load), or None."""
    public = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    if _spki(public) != _spki(_load_key(private_key_pem).public_key()):
        return "public_certificate does not belong to private_key (Entra would refuse every login)"
    return None


def _load_key(pem: str) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _spki(public_key: object) -> bytes:
    encoding, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return public_key.public_bytes(encoding, spki)  # type: ignore[attr-defined, no-any-return]
