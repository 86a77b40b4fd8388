"""Tests for idp_bridge/oidc/assurance.py: what the bridge's tokens say about a login."""

from __future__ import annotations

import pytest

from idp_bridge.oidc.assurance import (
    ACR_MULTI_FACTOR,
    ACR_SENT_CODE,
    ACR_SINGLE_FACTOR,
    Assurance,
    acr_at_least,
    acr_satisfies,
    demanded_acr,
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
    ("first", "method", "amr", "acr"),
    [
        (("pwd",), "totp", ("pwd", "otp", "mfa"), ACR_MULTI_FACTOR),
        (("pwd", "mfa"), "totp", ("pwd", "otp", "mfa"), ACR_MULTI_FACTOR),
        ((), "email", ("otp", "mfa"), ACR_SENT_CODE),
        (("pwd",), "sms", ("pwd", "sms", "mfa"), ACR_SENT_CODE),
        (("pwd", "otp"), "recovery_code", ("pwd", "otp", "mfa"), ACR_MULTI_FACTOR),
        (("otp", "mfa"), "totp", ("otp", "mfa"), ACR_MULTI_FACTOR),  # an email-code session stepped up to the app
    ],
)
def test_local_factor_assurance_is_honest_per_factor(first: tuple[str, ...], method: str, amr: tuple[str, ...],
                                                     acr: str) -> None:  # fmt: skip
    assert local_factor_assurance(first, method, 200) == Assurance(amr, acr, 200)


@pytest.mark.parametrize(
    ("acr_values", "demanded"),
    [
        (None, None),
        ("urn:idp-bridge:loa:1", None),
        ("urn:idp-bridge:loa:2", ACR_MULTI_FACTOR),
        ("urn:idp-bridge:loa:mfa-sent-code", ACR_SENT_CODE),
        ("urn:idp-bridge:loa:2 urn:idp-bridge:loa:mfa-sent-code", ACR_SENT_CODE),  # either satisfies: the weaker
        ("urn:x urn:idp-bridge:loa:20", None),
    ],
)
def test_demanded_acr_is_the_weakest_multi_factor_level_named(acr_values: str | None, demanded: str | None) -> None:
    assert demanded_acr(acr_values) == demanded


def test_sent_code_level_sits_between_single_factor_and_the_app() -> None:
    assert acr_satisfies(ACR_MULTI_FACTOR, ACR_SENT_CODE) and acr_satisfies(ACR_SENT_CODE, ACR_SENT_CODE)
    assert not acr_satisfies(ACR_SENT_CODE, ACR_MULTI_FACTOR) and not acr_satisfies(ACR_SINGLE_FACTOR, ACR_SENT_CODE)
    assert acr_satisfies(ACR_SINGLE_FACTOR, None)
    assert acr_at_least(ACR_SENT_CODE) == {ACR_SENT_CODE, ACR_MULTI_FACTOR}
    assert acr_at_least(ACR_MULTI_FACTOR) == {ACR_MULTI_FACTOR}


def test_mfa_demanded() -> None:
    assert mfa_demanded("urn:x urn:idp-bridge:loa:2")
    assert not mfa_demanded("urn:idp-bridge:loa:1")
    assert not mfa_demanded("urn:idp-bridge:loa:20")
    assert not mfa_demanded(None)
