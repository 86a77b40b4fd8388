"""Tests for idp_bridge/oidc/assurance.py: what the bridge's tokens say about a login."""

from __future__ import annotations

import pytest

from idp_bridge.oidc.assurance import (
    ACR_MULTI_FACTOR,
    ACR_SINGLE_FACTOR,
    Assurance,
    local_factor_assurance,
    mfa_demanded,
    upstream_assurance,
)


@pytest.mark.parametrize(
    ("amr", "proven", "expected"),
    [
        (("pwd", "mfa"), True, Assurance(("pwd", "mfa"), ACR_MULTI_FACTOR, 100)),
        (("pwd", "mfa"), False, Assurance(("pwd",), ACR_SINGLE_FACTOR, 100)),  # untrusted "mfa" is not relayed
        ((), True, Assurance(("mfa",), ACR_MULTI_FACTOR, 100)),  # e.g. Entra acrs or Okta acr evidence
        (("pwd", "okta_verify", "fed"), False, Assurance(("pwd",), ACR_SINGLE_FACTOR, 100)),  # RFC 8176 only
    ],
)
def test_upstream_assurance(amr: tuple[str, ...], proven: bool, expected: Assurance) -> None:
    assert upstream_assurance(amr, mfa_proven=proven, auth_time=100) == expected


@pytest.mark.parametrize(
    ("first", "method", "amr"),
    [
        (("pwd",), "totp", ("pwd", "otp", "mfa")),
        (("pwd", "mfa"), "totp", ("pwd", "otp", "mfa")),
        ((), "email", ("otp", "mfa")),
        (("pwd",), "sms", ("pwd", "sms", "mfa")),
        (("pwd", "otp"), "recovery_code", ("pwd", "otp", "mfa")),
    ],
)
def test_local_factor_assurance(first: tuple[str, ...], method: str, amr: tuple[str, ...]) -> None:
    assert local_factor_assurance(first, method, 200) == Assurance(amr, ACR_MULTI_FACTOR, 200)


def test_mfa_demanded() -> None:
    assert mfa_demanded("urn:x urn:idp-bridge:loa:2")
    assert not mfa_demanded("urn:idp-bridge:loa:1")
    assert not mfa_demanded("urn:idp-bridge:loa:20")
    assert not mfa_demanded(None)
