"""Shared by the providers.oidc unit tests: a frozen clock, an in-memory upstream, a provider on both, login helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from idp_bridge.clock import FrozenClock
from providers.base import Identity, LoginOptions, OIDCSettings, TokenRejected
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import CALLBACK, CLIENT_ID, CLIENT_SECRET, ISSUER, FakeUpstream

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
