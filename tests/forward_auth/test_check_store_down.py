"""Forward-auth with its store down: the check fails closed with a 503 (the proxy refuses), never a 200 or a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from idp_bridge.store.protocol.core import StoreUnavailable
from idp_bridge.store.records.core import secret_hash
from tests.bridge_harness import LoginDriver
from tests.session_fixtures import BridgeFactory, bridge_of

APP = "app.test"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": APP, "X-Forwarded-Uri": "/reports"}


def _signed_in(client: TestClient) -> str:
    driver = LoginDriver(client)
    try:
        driver.login(
            f"/forward-auth/sign-in?rd={quote(f'https://{APP}/reports', safe='')}", user="alice", provider="acme",
            stop_prefix=(f"https://{APP}",),
        )  # fmt: skip
    finally:
        driver.close()
    token = bridge_of(client).session_cookie.unsign(client.cookies[bridge_of(client).session_cookie.name])
    assert token is not None
    return token


@pytest.mark.parametrize("mode", ["", "/redirect"])
def test_a_check_whose_store_is_down_is_refused_with_503(
    make_bridge: BridgeFactory, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    with make_bridge(protected_hosts=(APP,)) as client:
        token = _signed_in(client)
        assert client.get(f"/forward-auth{mode}", headers=FORWARDED).status_code == 200
        bridge = bridge_of(client)

        async def down(*args: Any, **kwargs: Any) -> None:
            raise StoreUnavailable("injected: the store is locked by another process")

        # What another worker sees: this session is not in its cache, and the store does not answer.
        bridge.sessions.cache.drop(secret_hash(token))
        monkeypatch.setattr(bridge.store, "get_session_by_token", down)
        refused = client.get(f"/forward-auth{mode}", headers=FORWARDED, follow_redirects=False)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert "x-auth-user" not in refused.headers
