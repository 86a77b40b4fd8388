"""providers.upstream_http (and the id_token reader behind it): upstream JSON bounded before parsing.

A hostile or broken upstream answering `[` x 100,000 made the JSON parser overflow its recursion (a 500 for the
technician); each such answer is now a readable provider error naming what was wrong.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from joserfc import jws

from idp_bridge.clock import FrozenClock
from providers.base import LoginOptions, TokenRejected, UpstreamUnavailable
from providers.oidc import OIDCProvider
from providers.upstream_http import MAX_BODY_BYTES
from tests.providers.fake_oidc_upstream import CALLBACK, FakeUpstream
from tests.providers.oidc_harness import login, make_config

NESTED = b"[" * 100_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _provider_answering(upstream: FakeUpstream, clock: FrozenClock, path: str, body: bytes) -> OIDCProvider:
    """The fake upstream, except that `path` answers 200 with `body`."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == path:
            return httpx2.Response(200, content=body, headers={"content-type": "application/json"})
        return upstream.handle(request)

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handle))
    return OIDCProvider("corp", make_config(), http=http, clock=clock)


async def test_a_deeply_nested_discovery_document_is_unavailable_not_a_crash(
    upstream: FakeUpstream, clock: FrozenClock
) -> None:
    provider = _provider_answering(upstream, clock, "/.well-known/openid-configuration", NESTED)
    with pytest.raises(UpstreamUnavailable, match=r"discovery document .* is nested more than 64 levels deep"):
        await provider.start_login(CALLBACK, LoginOptions())


async def test_a_deeply_nested_jwks_is_unavailable_not_a_crash(upstream: FakeUpstream, clock: FrozenClock) -> None:
    provider = _provider_answering(upstream, clock, "/jwks", b'{"keys": ' + NESTED)
    with pytest.raises(UpstreamUnavailable, match=r"JWKS .* is nested more than 64 levels deep"):
        await login(provider, upstream)


async def test_a_deeply_nested_token_response_is_unavailable_not_a_crash(
    provider: OIDCProvider, upstream: FakeUpstream
) -> None:
    upstream.token_handler = lambda request: httpx2.Response(200, content=NESTED)
    with pytest.raises(UpstreamUnavailable, match=r"token endpoint .* is nested more than 64 levels deep"):
        await login(provider, upstream)


def _nested_header(claims: dict[str, Any]) -> str:
    return f"{_b64(NESTED[:5000])}.{_b64(json.dumps(claims).encode())}.c2ln"


def _nested_payload_signed(upstream: FakeUpstream) -> Any:
    def token(claims: dict[str, Any]) -> str:
        payload = b'{"sub": "user-1", "x": ' + NESTED[:5000] + b"]" * 5000 + b"}"
        header = {"alg": "RS256", "kid": upstream.rsa_key.kid}
        return jws.serialize_compact(header, payload, upstream.rsa_key, algorithms=["RS256"])

    return token


async def test_an_id_token_with_a_deeply_nested_header_is_rejected_not_a_crash(
    provider: OIDCProvider, upstream: FakeUpstream
) -> None:
    upstream.token_factory = _nested_header
    with pytest.raises(TokenRejected, match="id_token header is nested more than 64 levels deep"):
        await login(provider, upstream)


async def test_an_id_token_with_a_deeply_nested_payload_is_rejected_not_a_crash(
    provider: OIDCProvider, upstream: FakeUpstream
) -> None:
    upstream.token_factory = _nested_payload_signed(upstream)
    with pytest.raises(TokenRejected, match="id_token payload is nested more than 64 levels deep"):
        await login(provider, upstream)


async def test_an_oversized_token_response_is_unavailable_and_read_no_further_than_the_bound(
    provider: OIDCProvider, upstream: FakeUpstream
) -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(64):  # 64 MiB if read to the end
            sent.append(1)
            yield b" " * (1024 * 1024)

    upstream.token_handler = lambda request: httpx2.Response(200, content=endless())
    with pytest.raises(UpstreamUnavailable, match=f"the answer is larger than {MAX_BODY_BYTES} bytes"):
        await login(provider, upstream)
    assert len(sent) <= 2
