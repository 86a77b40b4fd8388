"""Fixtures for the provider tests: a throwaway TLS certificate the mimic providers serve with, trusted by
msal (requests: REQUESTS_CA_BUNDLE, which this environment sets and which overrides msal's `verify=`) and by
httpx2 (SSL_CERT_FILE, or an explicit SSL context); and, from oidc_harness, the providers.oidc unit-test fixtures."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from tests.providers.oidc_harness import clock, provider, upstream  # noqa: F401  (fixtures)
from tests.providers.tls_server import self_signed_certificate


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust_mimic(tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """Make msal and httpx2 trust the mimic's certificate (only it) for this test; returns an SSL context."""
    cert = str(tls_files[0])
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, cert)
    return ssl.create_default_context(cafile=cert)


@pytest.fixture(scope="session")
def client_cert() -> tuple[str, str]:
    """(private key PEM, certificate PEM) of an Entra app's client certificate."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp-bridge")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()
