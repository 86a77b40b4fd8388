"""Integration: OIDCProvider against a real upstream OP process (oidc-provider-mock), over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from idp_bridge.clock import SystemClock
from providers.base import LoginOptions, OIDCSettings, TokenRejected
from providers.oidc import OIDCProvider

CALLBACK = "http://127.0.0.1:1/callback/mock"  # never contacted: the test reads the redirect itself
USER_CLAIMS = '{"sub":"alice","email":"alice@example.com","name":"Alice"}'
STARTUP_TIMEOUT_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def upstream_issuer() -> Iterator[str]:
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--user-claims", USER_CLAIMS],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                pytest.fail(f"oidc-provider-mock exited with {process.returncode}: {stderr[-2000:]}")
            try:
                if httpx2.get(f"{issuer}/.well-known/openid-configuration", timeout=1.0).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("oidc-provider-mock did not come up in time")
            time.sleep(0.1)  # polling for the subprocess to come up
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def provider(upstream_issuer: str, http: httpx2.AsyncClient) -> OIDCProvider:
    config = OIDCSettings(
        display_name="Mock SSO",
        issuer=upstream_issuer,
        client_id="idp-bridge",
        client_secret="bridge-secret",
    )
    return OIDCProvider("mock", config, http=http, clock=SystemClock())


async def _authorize(http: httpx2.AsyncClient, url: str, sub: str) -> dict[str, str]:
    """Play the browser: show the upstream's login form, submit it, and read the redirect back to the bridge."""
    form = await http.get(url)
    assert form.status_code == 200
    assert "<form" in form.text
    answer = await http.post(url, data={"sub": sub})
    assert answer.status_code in (302, 303), answer.text[:500]
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def test_login_through_real_upstream(
    provider: OIDCProvider, http: httpx2.AsyncClient, upstream_issuer: str
) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    assert start.url.startswith(f"{upstream_issuer}/oauth2/authorize?")

    params = await _authorize(http, start.url, "alice")
    assert params["state"] == start.state
    identity = await provider.finish_login(params, start.flow_state, CALLBACK)

    assert identity.provider_id == "mock"
    assert identity.issuer == upstream_issuer
    assert identity.subject == "alice"
    assert identity.email == "alice@example.com"
    assert identity.name == "Alice"
    assert identity.raw_claims["aud"] in ("idp-bridge", ["idp-bridge"])
    assert identity.raw_claims["nonce"] == start.flow_state["nonce"]


async def test_real_upstream_token_with_foreign_nonce_is_rejected(
    provider: OIDCProvider, http: httpx2.AsyncClient
) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    params = await _authorize(http, start.url, "alice")
    tampered = dict(start.flow_state) | {"nonce": "a-nonce-from-another-login"}
    with pytest.raises(TokenRejected, match="nonce does not match"):
        await provider.finish_login(params, tampered, CALLBACK)


async def test_real_upstream_refuses_a_code_twice(provider: OIDCProvider, http: httpx2.AsyncClient) -> None:
    start = await provider.start_login(CALLBACK, LoginOptions())
    params = await _authorize(http, start.url, "alice")
    assert (await provider.finish_login(params, start.flow_state, CALLBACK)).subject == "alice"
    with pytest.raises(TokenRejected, match="token endpoint rejected the code: invalid_grant"):
        await provider.finish_login(params, start.flow_state, CALLBACK)


async def test_check_online_against_real_upstream(provider: OIDCProvider) -> None:
    assert await provider.check_online() == []
