"""Unit tests for providers.oidc: JWKS refetch on an unknown kid (rate-limited) and cached metadata and keys."""

from __future__ import annotations

import asyncio

from joserfc.jwk import Key, RSAKey

from idp_bridge.clock import FrozenClock
from providers.base import LoginOptions, TokenRejected
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import CALLBACK, FakeUpstream
from tests.providers.oidc_harness import login, rejected


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
