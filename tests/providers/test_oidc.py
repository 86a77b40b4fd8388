"""Unit tests for providers.oidc against an in-memory upstream (httpx2.MockTransport), clock frozen."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from joserfc.jwk import Key, RSAKey

from idp_bridge.clock import FrozenClock
from providers.base import (
    CallbackInvalid,
    Identity,
    LoginOptions,
    OIDCSettings,
    ProviderError,
    TokenRejected,
    UpstreamDenied,
    UpstreamUnavailable,
)
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import (
    CALLBACK,
    CLIENT_ID,
    CLIENT_SECRET,
    DELETE,
    ISSUER,
    FakeUpstream,
    hs256_token,
    unsigned_token,
)

NOW = 1_700_000_000


def make_config(**overrides: Any) -> OIDCSettings:
    values: dict[str, Any] = {
        "display_name": "Corp SSO",
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    return OIDCSettings(**(values | overrides))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def upstream(clock: FrozenClock) -> FakeUpstream:
    return FakeUpstream(clock)


@pytest.fixture
async def provider(upstream: FakeUpstream, clock: FrozenClock) -> AsyncIterator[OIDCProvider]:
    async with upstream.client() as http:
        yield OIDCProvider("corp", make_config(), http=http, clock=clock)


async def login(provider: OIDCProvider, upstream: FakeUpstream, options: LoginOptions | None = None) -> Identity:
    start = await provider.start_login(CALLBACK, options or LoginOptions())
    params = upstream.authorize(start.url)
    return await provider.finish_login(params, start.flow_state, CALLBACK)


async def rejected(provider: OIDCProvider, upstream: FakeUpstream, options: LoginOptions | None = None) -> str:
    with pytest.raises(TokenRejected) as info:
        await login(provider, upstream, options)
    return info.value.message


# -- happy paths -----------------------------------------------------------------------------------


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
        pytest.param({"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID}, id="several-aud-with-azp"),
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


# -- signature and algorithm -----------------------------------------------------------------------


async def test_token_signed_by_another_key_with_known_kid(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    impostor: Key = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    upstream.token_factory = lambda claims: upstream.sign(claims, key=impostor)
    assert await rejected(provider, upstream) == "id_token signature is invalid"


async def test_alg_none_is_refused(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.token_factory = unsigned_token
    assert "algorithm 'none' is refused" in await rejected(provider, upstream)


async def test_hs256_signed_with_client_secret_is_refused(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.token_factory = lambda claims: hs256_token(claims, CLIENT_SECRET, kid="rsa-1")
    message = await rejected(provider, upstream)
    assert "algorithm 'HS256' is refused" in message
    assert CLIENT_SECRET not in message


async def test_algorithm_outside_allow_list_is_refused(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.alg = "PS256"
    assert await rejected(provider, upstream) == "id_token algorithm 'PS256' is not allowed (allowed: RS256, ES256)"


async def test_allow_list_is_taken_from_config(upstream: FakeUpstream, clock: FrozenClock) -> None:
    upstream.alg = "PS256"
    async with upstream.client() as http:
        ps_only = OIDCProvider("corp", make_config(id_token_algorithms=("PS256",)), http=http, clock=clock)
        assert (await login(ps_only, upstream)).subject == "user-1"
        upstream.alg = "RS256"
        assert "'RS256' is not allowed" in await rejected(ps_only, upstream)


async def test_key_of_wrong_type_for_alg_is_refused(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.header_kid = "ec-1"  # an RS256 token that names the EC key
    assert await rejected(provider, upstream) == "id_token key 'ec-1' in the provider's JWKS is not a RS256 signing key"


async def test_garbage_id_token(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    upstream.token_factory = lambda claims: "not-a-jwt"
    assert await rejected(provider, upstream) == "id_token is not a well-formed signed JWT"


# -- JWKS refetch on unknown kid, rate-limited -----------------------------------------------------


async def test_unknown_kid_refetches_once_then_is_rate_limited(
    provider: OIDCProvider, upstream: FakeUpstream, clock: FrozenClock
) -> None:
    upstream.header_kid = "unknown-1"
    assert await rejected(provider, upstream) == "id_token key id 'unknown-1' is not in the provider's JWKS"
    assert upstream.hits["jwks"] == 2  # initial fetch + one refetch

    upstream.header_kid = "unknown-2"
    clock.advance(30)
    assert "'unknown-2' is not in the provider's JWKS" in await rejected(provider, upstream)
    assert upstream.hits["jwks"] == 2  # within the rate limit: no refetch

    clock.advance(31)
    await rejected(provider, upstream)
    assert upstream.hits["jwks"] == 3  # the limit has passed: one more refetch


async def test_rotated_key_is_found_by_refetch(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    assert (await login(provider, upstream)).subject == "user-1"
    rotated: Key = RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"})
    upstream.jwks_keys.append(rotated)
    upstream.signing_key = rotated
    assert (await login(provider, upstream)).subject == "user-1"
    assert upstream.hits["jwks"] == 2
    assert upstream.hits["discovery"] == 1  # discovery is cached too


async def test_flood_of_unknown_kids_causes_a_single_refetch(provider: OIDCProvider, upstream: FakeUpstream) -> None:
    starts = [await provider.start_login(CALLBACK, LoginOptions()) for _ in range(20)]
    callbacks = [upstream.authorize(start.url) for start in starts]
    upstream.header_kid = "made-up"
    results = await asyncio.gather(
        *(provider.finish_login(p, s.flow_state, CALLBACK) for p, s in zip(callbacks, starts, strict=True)),
        return_exceptions=True,
    )
    assert all(isinstance(r, TokenRejected) and "'made-up' is not in" in r.message for r in results)
    assert upstream.hits["jwks"] == 2


async def test_removed_key_stops_being_trusted_after_jwks_ttl(
    provider: OIDCProvider, upstream: FakeUpstream, clock: FrozenClock
) -> None:
    assert (await login(provider, upstream)).subject == "user-1"
    upstream.jwks_keys = [upstream.ec_key]  # the RSA key is withdrawn upstream
    clock.advance(3601)
    assert await rejected(provider, upstream) == "id_token key id 'rsa-1' is not in the provider's JWKS"


async def test_cached_metadata_and_keys_survive_an_upstream_outage(
    provider: OIDCProvider, upstream: FakeUpstream, clock: FrozenClock
) -> None:
    assert (await login(provider, upstream)).subject == "user-1"
    clock.advance(3601)
    upstream.down = {"/.well-known/openid-configuration", "/jwks"}
    assert (await login(provider, upstream)).subject == "user-1"
    assert upstream.refused == ["/.well-known/openid-configuration", "/jwks"]  # both refreshes were tried
    clock.advance(30)
    assert (await login(provider, upstream)).subject == "user-1"
    assert len(upstream.refused) == 2  # and not retried within a minute


# -- claims ----------------------------------------------------------------------------------------

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


# -- the callback ----------------------------------------------------------------------------------


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
