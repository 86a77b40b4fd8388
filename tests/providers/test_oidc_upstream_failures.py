"""Unit tests for providers.oidc: token endpoint and discovery failures, and check_online."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from idp_bridge.clock import FrozenClock
from providers.base import LoginOptions, ProviderError, TokenRejected, UpstreamUnavailable
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import CALLBACK, CLIENT_SECRET, FakeUpstream
from tests.providers.oidc_harness import login, make_config

# -- token endpoint --------------------------------------------------------------------------------


def _fail_with(response: httpx2.Response) -> Any:
    return lambda request: response


def _unreachable(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


TOKEN_CASES: list[tuple[Any, type[ProviderError], str]] = [
    (
        _fail_with(httpx2.Response(400, json={"error": "invalid_grant", "error_description": "code expired"})),
        TokenRejected,
        "token endpoint rejected the code: invalid_grant (code expired)",
    ),
    (
        _fail_with(httpx2.Response(401, json={"error": "invalid_client", "error_description": CLIENT_SECRET})),
        TokenRejected,
        "token endpoint rejected the code: invalid_client (***)",
    ),
    (_unreachable, UpstreamUnavailable, "token endpoint https://op.test/token is unreachable (ConnectError)"),
    (_fail_with(httpx2.Response(503, text="down")), UpstreamUnavailable, "answered HTTP 503"),
    (
        _fail_with(httpx2.Response(200, text="<html>")),
        UpstreamUnavailable,
        "answered HTTP 200 without a JSON object",
    ),
    (
        _fail_with(httpx2.Response(200, json={"access_token": "x"})),
        TokenRejected,
        "token response has no id_token",
    ),
]


@pytest.mark.parametrize(("handler", "error", "message"), TOKEN_CASES, ids=[c[2] for c in TOKEN_CASES])
async def test_token_endpoint_failures(
    provider: OIDCProvider, upstream: FakeUpstream, handler: Any, error: type[ProviderError], message: str
) -> None:
    upstream.token_handler = handler
    with pytest.raises(error) as info:
        await login(provider, upstream)
    assert type(info.value) is error
    assert message in info.value.message
    assert CLIENT_SECRET not in info.value.message


# -- discovery -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"issuer": "https://op.test/"},
            "discovery document at https://op.test/.well-known/openid-configuration names issuer "
            "'https://op.test/', which does not match the configured issuer 'https://op.test'",
        ),
        ({"jwks_uri": None}, "has no 'jwks_uri'"),
        ({"token_endpoint": "http://op.test/token"}, "'token_endpoint' must use https like the issuer"),
    ],
)
async def test_discovery_problems(
    provider: OIDCProvider, upstream: FakeUpstream, change: dict[str, Any], message: str
) -> None:
    upstream.discovery |= change
    with pytest.raises(UpstreamUnavailable) as info:
        await provider.start_login(CALLBACK, LoginOptions())
    assert message in info.value.message
    assert await provider.check_online() == [f"provider 'corp': {info.value.message}"]


async def test_discovery_unreachable(clock: FrozenClock) -> None:
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(_unreachable)) as http:
        provider = OIDCProvider("corp", make_config(), http=http, clock=clock)
        with pytest.raises(UpstreamUnavailable, match=r"discovery document at .* is unreachable \(ConnectError\)"):
            await provider.start_login(CALLBACK, LoginOptions())


async def test_check_online_ok_and_jwks_problems(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    assert await provider.check_online() == []
    upstream.jwks_keys = []
    assert await provider.check_online() == [
        "provider 'corp': JWKS at https://op.test/jwks holds no usable signing keys"
    ]
    upstream.jwks_keys = [upstream.ec_key]
    upstream.discovery["id_token_signing_alg_values_supported"] = ["PS512"]
    problems = await provider.check_online()
    assert problems == [
        "provider 'corp': upstream signs id_tokens with PS512, none of which is in id_token_algorithms (RS256, ES256)"
    ]
