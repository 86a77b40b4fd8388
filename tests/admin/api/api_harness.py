"""Test harness for the admin API: an in-process bridge on an injected clock, real upstreams, API tokens."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from starlette.testclient import TestClient

from idp_bridge.admin.api_tokens import create_token
from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from tests.bridge_harness import LoginDriver, LoginResult, authorize_url, other_browser, running_bridge

ALL_SCOPES = ("policy:write", "technicians:write", "admins:write", "sessions:write", "audit:read", "tokens:write")


@dataclass
class AdminBridge:
    client: TestClient
    clock: FrozenClock
    driver: LoginDriver
    db: str

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store coroutine on the bridge's own loop (the SQLite connection lives there)."""
        portal = self.client.portal
        assert portal is not None
        return portal.call(functools.partial(fn, *args, **kwargs))

    @property
    def store(self) -> Any:
        return self.client.app.state.bridge.store  # type: ignore[attr-defined]

    def token(self, *scopes: str, lifetime: int = 3600) -> str:
        bearer, _ = self.call(
            create_token, self.store, name="test", scopes=frozenset(scopes or ALL_SCOPES),
            lifetime_seconds=lifetime, created_by="test", now=self.clock.now(),
        )  # fmt: skip
        return str(bearer)

    def api(self, method: str, path: str, token: str | None, json: Any = None, **params: Any) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.client.request(method, "/admin/api" + path, headers=headers, json=json, params=params or None)

    def login(self, user: str, provider: str = "acme") -> LoginResult:
        """Sign in through `provider` in a new browser (asked for with provider_hint, so a refused provider shows
        a 403 page)."""
        driver = LoginDriver(other_browser(self.client))
        try:
            return driver.login(authorize_url(provider_hint=provider), provider=provider, user=user)
        finally:
            driver.close()

    def user_id(self, email: str) -> str:
        found = self.call(self.store.find_users, email)
        assert len(found) == 1, found
        return str(found[0])

    def live_sessions(self, user_id: str) -> list[Any]:
        return list(self.call(self.store.list_user_sessions, user_id, self.clock.now()))


@contextmanager
def admin_bridge(config: Config, clock: FrozenClock | None = None) -> Iterator[AdminBridge]:
    clock = clock or FrozenClock(time.time())  # the upstream mints real timestamps
    with running_bridge(config, clock=clock) as client:
        driver = LoginDriver(client)
        try:
            yield AdminBridge(client, clock, driver, config.store.path)
        finally:
            driver.close()


def error_of(response: httpx2.Response, status: int) -> str:
    """The JSON error code of a refusal, after checking status and that it carries a readable message."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert isinstance(body["message"], str) and len(body["message"]) > 10, body
    return str(body["error"])
