"""Unit tests for providers.oidc: id_token claim checks."""

from __future__ import annotations

from typing import Any

import pytest

from providers.base import LoginOptions
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import CLIENT_ID, DELETE, FakeUpstream
from tests.providers.oidc_harness import NOW, login, rejected

CLAIM_CASES = [
    (
        {"iss": "https://evil.test"},
        None,
        "id_token issuer 'https://evil.test' does not match 'https://op.test'",
    ),
    ({"iss": DELETE}, None, "id_token has no 'iss' claim"),
    (
        {"aud": "someone-else"},
        None,
        "id_token audience 'someone-else' does not include the client id 'bridge-client'",
    ),
    ({"aud": DELETE}, None, "id_token 'aud' is missing or not a string or list of strings"),
    ({"aud": [CLIENT_ID, "other"]}, None, "id_token has several audiences but no 'azp' claim"),
    (
        {"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID},
        None,
        "id_token audience 'other' is not trusted: the only audience accepted is the client id 'bridge-client'",
    ),
    ({"azp": "other"}, None, "id_token authorized party (azp) 'other' is not the client id 'bridge-client'"),
    ({"exp": NOW - 61}, None, "id_token has expired"),
    ({"exp": DELETE}, None, "id_token has no 'exp' claim"),
    ({"exp": "tomorrow"}, None, "id_token 'exp' is not a number"),
    ({"iat": NOW + 61}, None, "id_token was issued in the future ('iat' is ahead of the clock)"),
    ({"iat": DELETE}, None, "id_token has no 'iat' claim"),
    ({"nbf": NOW + 120}, None, "id_token is not valid yet ('nbf' is ahead of the clock)"),
    ({"nonce": "replayed-nonce"}, None, "id_token nonce does not match the login request"),
    ({"nonce": DELETE}, None, "id_token has no 'nonce' claim"),
    ({"sub": DELETE}, None, "id_token has no 'sub' claim"),
    ({"sub": "x" * 256}, None, "id_token 'sub' must be a non-empty string of at most 255 characters"),
    ({"sub": 42}, None, "id_token 'sub' must be a non-empty string of at most 255 characters"),
    ({"auth_time": DELETE}, 300, "id_token has no 'auth_time' although max_age was requested"),
    (
        {"auth_time": NOW - 400},
        300,
        "id_token 'auth_time' is older than the requested max_age of 300 seconds",
    ),
    ({"auth_time": NOW + 120}, None, "id_token 'auth_time' is in the future"),
]


@pytest.mark.parametrize(("patch", "max_age", "message"), CLAIM_CASES, ids=[c[2] for c in CLAIM_CASES])
async def test_bad_claims_are_rejected(
    provider: OIDCProvider, upstream: FakeUpstream, patch: dict[str, Any], max_age: int | None, message: str
) -> None:
    upstream.claims_patch = patch
    assert await rejected(provider, upstream, LoginOptions(max_age=max_age)) == message


async def test_fresh_auth_time_passes_max_age(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.claims_patch = {"auth_time": NOW - 250}
    assert (await login(provider, upstream, LoginOptions(max_age=300))).auth_time == NOW - 250
