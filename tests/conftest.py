"""Shared fixtures: real upstream OIDC provider processes, signing keys, an in-process bridge."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.bridge import Bridge
from idp_bridge.config.model import Config
from idp_bridge.demo.upstream import run_demo_upstream
from tests.bridge_harness import BRIDGE_ISSUER, LoginDriver, free_port, make_config
from tests.integration.admin_console_live import console_live  # noqa: F401  (fixture)
from tests.integration.browser import browser, page  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def upstreams() -> Iterator[dict[str, str]]:
    """Two real upstream OIDC provider processes, `acme` and `globex`, for the whole test session."""
    with run_demo_upstream(free_port()) as acme, run_demo_upstream(free_port()) as globex:
        yield {"acme": acme, "globex": globex}


@pytest.fixture(scope="session")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One signing key for the session (RSA generation is slow)."""
    from idp_bridge.oidc.signing_keys import SigningKeys

    path = tmp_path_factory.mktemp("keys") / "signing.json"
    SigningKeys.load_or_create(path, "RS256")
    return path


@pytest.fixture
def config(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> Config:
    return make_config(tmp_path, upstreams, key_file=key_file)


@pytest.fixture
def bridge_client(config: Config) -> Iterator[TestClient]:
    app = create_app(config)
    with TestClient(app, base_url=BRIDGE_ISSUER) as client:
        yield client


@pytest.fixture
def bridge(bridge_client: TestClient) -> Bridge:
    state: Bridge = bridge_client.app.state.bridge  # type: ignore[attr-defined]
    return state


@pytest.fixture
def driver(bridge_client: TestClient) -> Iterator[LoginDriver]:
    d = LoginDriver(bridge_client)
    yield d
    d.close()


def run(coro):  # type: ignore[no-untyped-def]
    """Run a store coroutine from a sync test (the TestClient owns its own loop)."""
    return asyncio.run(coro)
