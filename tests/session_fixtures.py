"""Fixtures for the session tests: an injected clock, a real back-channel receiver, a bridge wired to both."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from idp_bridge.clock import FrozenClock
from tests.bridge_harness import (
    PORTAL_ID,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    LoginDriver,
    authorize_url,
    pkce_pair,
    running_bridge,
)
from tests.session_harness import LogoutReceiver, logout_receiver, session_config


@pytest.fixture
def clock() -> FrozenClock:
    # Upstream tokens carry real times: start at the real time, then move only when told.
    return FrozenClock(time.time())


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    with logout_receiver() as r:
        yield r


BridgeFactory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def make_bridge(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path, clock: FrozenClock, receiver: LogoutReceiver
) -> BridgeFactory:
    def factory(**options: Any) -> AbstractContextManager[TestClient]:
        options.setdefault("backchannel_uri", receiver.url)
        config = session_config(tmp_path, upstreams, key_file=key_file, **options)
        return running_bridge(config, clock)

    return factory


def bridge_of(client: TestClient) -> Bridge:
    bridge: Bridge = client.app.state.bridge  # type: ignore[attr-defined]
    return bridge


def sign_in(client: TestClient, user: str = "alice", provider: str = "acme", **query: Any) -> str:
    """A complete login in this browser; returns the code the portal got."""
    driver = LoginDriver(client)
    try:
        result = driver.login(authorize_url(provider_hint=provider, **query), user=user)
    finally:
        driver.close()
    assert "code" in result.params, (result.steps, result.page.text[:500] if result.page else None)
    return result.params["code"]


def redeem(client: TestClient, code: str) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_REDIRECT,
            "code_verifier": pkce_pair()[0]}  # fmt: skip
    response = client.post("/token", data=form, auth=(PORTAL_ID, PORTAL_SECRET))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def portal_login(client: TestClient, user: str = "alice", provider: str = "acme") -> dict[str, Any]:
    """Sign in and redeem the code: the console portal now holds tokens of the session."""
    return redeem(client, sign_in(client, user, provider))


def run_in_bridge(client: TestClient, fn: Callable[..., Any], *args: Any) -> Any:
    """Run an async function of the bridge on the bridge's own event loop (its SQLite connection lives there)."""
    return client.portal.call(fn, *args)  # type: ignore[union-attr]


def settle(client: TestClient) -> None:
    """Wait for the bridge's background work (back-channel deliveries) to finish."""
    run_in_bridge(client, bridge_of(client).sessions.drain, 10.0)
