"""MFA changes end sessions through session_end: back-channel logouts sent, forward-auth refuses at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from idp_bridge.mfa import admin
from tests.bridge_harness import PORTAL_ID
from tests.session_fixtures import BridgeFactory, bridge_of, portal_login, run_in_bridge
from tests.session_harness import LogoutReceiver, jwks_of, validate_logout_token

APP = "app.test"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": APP, "X-Forwarded-Uri": "/reports"}


def _forward_auth(client: TestClient) -> int:
    return client.get("/forward-auth", headers=FORWARDED, follow_redirects=False).status_code


def _enforce(bridge: Bridge, user_id: str) -> Coroutine[Any, Any, object]:
    return admin.save_settings(bridge, user_id, enforced=True)


def _reset(bridge: Bridge, user_id: str) -> Coroutine[Any, Any, object]:
    return admin.reset_mfa(bridge, user_id)


@pytest.mark.parametrize(("change", "reason"), [(_enforce, "mfa_changed"), (_reset, "mfa_reset")])
def test_mfa_change_sends_backchannel_logout_and_forward_auth_fails_at_once(
    make_bridge: BridgeFactory, receiver: LogoutReceiver,
    change: Callable[[Bridge, str], Coroutine[Any, Any, object]], reason: str,
) -> None:  # fmt: skip
    with make_bridge(protected_hosts=(APP,)) as client:
        bridge = bridge_of(client)
        tokens = portal_login(client, "bob")  # the console portal holds tokens of this session
        sid = bridge.keys.verify(tokens["id_token"])["sid"]
        assert _forward_auth(client) == 200  # and the session is now in this worker's cache
        (user_id,) = run_in_bridge(client, bridge.store.find_users, "bob@example.com")

        run_in_bridge(client, change, bridge, user_id)

        assert _forward_auth(client) == 401  # same instant: no waiting for the cache's 1 s revalidation
        claims = validate_logout_token(receiver.next_token(), jwks_of(client), bridge.issuer, PORTAL_ID)
        assert claims["sid"] == sid and claims["sub"] == user_id
        with sqlite3.connect(bridge.config.store.path) as db:
            ended = db.execute("SELECT end_reason FROM sessions WHERE id = ?", (sid,)).fetchone()
        db.close()
        assert ended == (reason,)
