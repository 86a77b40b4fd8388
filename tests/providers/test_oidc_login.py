"""Unit tests for providers.oidc: logins that succeed, the authorization request and the token request."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from idp_bridge.clock import FrozenClock
from providers.base import Identity, LoginOptions, TokenRejected
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import CALLBACK, CLIENT_ID, CLIENT_SECRET, ISSUER, FakeUpstream
from tests.providers.oidc_harness import NOW, login, make_config


async def test_happy_path_returns_identity_from_id_token(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    identity = await login(provider, upstream)

    assert identity == Identity(
        provider_id="corp",
        issuer=ISSUER,
        subject="user-1",
        email="user1@example.com",
        email_verified=True,
        name="User One",
        groups=("admins", "devs"),
        amr=("pwd", "mfa"),
        acr="urn:example:loa:2",
        auth_time=NOW - 10,
        raw_claims=identity.raw_claims,
    )
    assert identity.raw_claims["aud"] == CLIENT_ID


async def test_login_url_carries_pkce_s256_state_nonce_and_options(
    provider: OIDCProvider, upstream: FakeUpstream
) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions(login_hint="a@b.c", prompt="login", max_age=600))
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.url).query).items()}

    assert start.url.startswith(f"{ISSUER}/authorize?")
    assert query["response_type"] == "code"
    assert query["scope"] == "openid email profile"
    assert query["redirect_uri"] == CALLBACK
    assert query["state"] == start.state and len(start.state) >= 32
    assert query["code_challenge_method"] == "S256"
    verifier = start.flow_state["code_verifier"]
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == expected
    assert query["nonce"] == start.flow_state["nonce"]
    assert (query["login_hint"], query["prompt"], query["max_age"]) == ("a@b.c", "login", "600")
    assert start.flow_state["redirect_uri"] == CALLBACK and start.flow_state["max_age"] == 600
    assert "client_secret" not in start.url and CLIENT_SECRET not in str(start.flow_state)


async def test_two_logins_get_distinct_state_nonce_and_verifier(provider: OIDCProvider) -> None:
    first = await provider.start_login(CALLBACK, LoginOptions())
    second = await provider.start_login(CALLBACK, LoginOptions())
    assert first.state != second.state
    assert first.flow_state["nonce"] != second.flow_state["nonce"]
    assert first.flow_state["code_verifier"] != second.flow_state["code_verifier"]


async def test_token_request_uses_client_secret_basic_and_pkce(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    await login(provider, upstream)

    (request,) = upstream.token_requests
    expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert request.headers["authorization"] == expected
    form = parse_qs(request.content.decode())
    assert form["grant_type"] == ["authorization_code"]
    assert form["redirect_uri"] == [CALLBACK]
    assert "code_verifier" in form and "client_secret" not in form and "client_id" not in form


async def test_public_client_sends_client_id_in_body(upstream: FakeUpstream, clock: FrozenClock) -> None:
    seen: list[dict[str, list[str]]] = []

    def token(request: httpx2.Request) -> httpx2.Response:
        assert "authorization" not in request.headers
        seen.append(parse_qs(request.content.decode()))
        return httpx2.Response(400, json={"error": "invalid_grant"})

    upstream.token_handler = token
    async with upstream.client() as http:
        public = OIDCProvider("corp", make_config(client_secret=None), http=http, clock=clock)
        with pytest.raises(TokenRejected):
            await login(public, upstream)
    assert seen[0]["client_id"] == [CLIENT_ID]


@pytest.mark.parametrize(
    "patch",
    [
        pytest.param({"aud": [CLIENT_ID], "azp": CLIENT_ID}, id="aud-list-of-the-client-alone-with-azp"),
        pytest.param({"exp": NOW - 30}, id="expired-within-skew"),
        pytest.param({"iat": NOW + 30}, id="iat-ahead-within-skew"),
        pytest.param({"email_verified": "true", "groups": "admins", "amr": [1]}, id="odd-claim-types"),
    ],
)
async def test_accepted_edge_cases(provider: OIDCProvider, upstream: FakeUpstream, patch: dict[str, Any]) -> None:
    upstream.claims_patch = patch
    identity = await login(provider, upstream)
    assert identity.subject == "user-1"
    if "email_verified" in patch:
        assert identity.email_verified is False and identity.groups == () and identity.amr == ()


async def test_es256_token_is_accepted(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.signing_key, upstream.alg = upstream.ec_key, "ES256"
    assert (await login(provider, upstream)).subject == "user-1"
