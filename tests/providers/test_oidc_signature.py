"""Unit tests for providers.oidc: the id_token signature and its algorithm allow-list."""

from __future__ import annotations

from joserfc.jwk import Key, RSAKey

from idp_bridge.clock import FrozenClock
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import CLIENT_SECRET, FakeUpstream, hs256_token, unsigned_token
from tests.providers.oidc_harness import login, make_config, rejected


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
