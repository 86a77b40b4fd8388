"""Unit tests for providers.oidc: the callback parameters (upstream errors, code, RFC 9207 iss, flow state)."""

from __future__ import annotations

import pytest

from providers.base import CallbackInvalid, LoginOptions, UpstreamDenied
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import CALLBACK, ISSUER, FakeUpstream
from tests.providers.oidc_harness import login


async def test_upstream_error_is_denied_with_sanitised_description(provider: OIDCProvider) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    params = {
        "error": "access_denied",
        "error_description": "User\ncancelled <b>" + "x" * 500,
        "state": start.state,
    }
    with pytest.raises(UpstreamDenied) as info:
        await provider.finish_login(params, start.flow_state, CALLBACK)
    message = info.value.message
    assert message.startswith("Corp SSO did not complete the login: access_denied (User cancelled <b>")
    assert "\n" not in message and len(message) < 300
    assert info.value.error_code == "access_denied"


async def test_missing_code(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    with pytest.raises(CallbackInvalid, match="has no authorization code"):
        await provider.finish_login({"state": start.state}, start.flow_state, CALLBACK)
    assert upstream.hits["token"] == 0


async def test_rfc9207_iss_mismatch(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    params = upstream.authorize(start.url) | {"iss": "https://evil.test"}
    with pytest.raises(CallbackInvalid) as info:
        await provider.finish_login(params, start.flow_state, CALLBACK)
    assert (
        info.value.message == "callback 'iss' parameter 'https://evil.test' does not match the issuer 'https://op.test'"
    )
    assert upstream.hits["token"] == 0


async def test_rfc9207_iss_missing_when_advertised(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.discovery["authorization_response_iss_parameter_supported"] = True
    start = await provider.start_login(CALLBACK, LoginOptions())
    with pytest.raises(CallbackInvalid, match=r"has no 'iss' parameter although https://op\.test advertises"):
        await provider.finish_login(upstream.authorize(start.url), start.flow_state, CALLBACK)
    assert upstream.hits["token"] == 0

    start = await provider.start_login(CALLBACK, LoginOptions())
    identity = await provider.finish_login(upstream.authorize(start.url, with_iss=True), start.flow_state, CALLBACK)
    assert identity.subject == "user-1"


async def test_iss_may_be_absent_when_not_advertised(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    assert (await login(provider, upstream)).issuer == ISSUER


async def test_callback_url_must_match_the_login(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    with pytest.raises(CallbackInvalid, match="does not match the redirect_uri"):
        await provider.finish_login(upstream.authorize(start.url), start.flow_state, "https://bridge.test/other")


async def test_incomplete_flow_state(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    with pytest.raises(CallbackInvalid, match="stored login state is incomplete"):
        await provider.finish_login(upstream.authorize(start.url), {"nonce": "n"}, CALLBACK)
