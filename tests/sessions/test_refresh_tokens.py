"""Refresh tokens: only for portals allowed them, bound to the session, rotated on use, reuse revokes the family,
and dead with the session (logout or idle)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.sessions.end import end_session
from tests.bridge_harness import PORTAL_ID, PORTAL_REDIRECT, PORTAL_SECRET, pkce_pair
from tests.session_fixtures import BridgeFactory, bridge_of, portal_login, redeem, run_in_bridge, sign_in
from tests.session_harness import LogoutReceiver
from tests.store_peek import last_audit


def _refresh(client: TestClient, token: str) -> Any:
    return client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": token}, auth=(PORTAL_ID, PORTAL_SECRET)
    )


def test_rotation_and_reuse_detection(make_bridge: BridgeFactory) -> None:
    with make_bridge(refresh=True) as client:
        first = portal_login(client)
        sid = bridge_of(client).keys.verify(first["id_token"])["sid"]
        second = _refresh(client, first["refresh_token"])
        assert second.status_code == 200, second.text
        body = second.json()
        assert body["refresh_token"] != first["refresh_token"]
        claims = bridge_of(client).keys.verify(body["id_token"])
        assert claims["sid"] == sid and "nonce" not in claims
        assert client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code == 200
        replay = _refresh(client, first["refresh_token"])  # the spent one comes back: revoke the family
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        assert last_audit(bridge_of(client).config.store.path)[0] == "token.refresh_reused"
        assert _refresh(client, body["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_tokens_die_with_the_session(make_bridge: BridgeFactory, receiver: LogoutReceiver) -> None:
    with make_bridge(refresh=True) as client:
        tokens = portal_login(client)
        sid = bridge_of(client).keys.verify(tokens["id_token"])["sid"]
        run_in_bridge(client, end_session, bridge_of(client), sid, "logout")
        assert _refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_after_idle_timeout_fails_and_ends_the_session(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge(refresh=True, sessions={"idle_timeout_seconds": 300}) as client:
        tokens = portal_login(client)
        clock.advance(299)
        fresh = _refresh(client, tokens["refresh_token"])  # activity: the idle deadline moves
        assert fresh.status_code == 200
        clock.advance(299)
        again = _refresh(client, fresh.json()["refresh_token"])
        assert again.status_code == 200
        clock.advance(300)
        late = _refresh(client, again.json()["refresh_token"])
        assert late.status_code == 400 and late.json()["error_description"] == "the sign-in session has ended"
        receiver.next_token()  # ended on the spot, portals told


def test_refresh_refused_for_portals_not_allowed_and_for_other_clients(make_bridge: BridgeFactory) -> None:
    with make_bridge(refresh=False) as client:
        assert "refresh_token" not in portal_login(client)
    with make_bridge(refresh=True) as client:
        tokens = portal_login(client)
        other = client.post(
            "/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "spa"}
        )
        assert other.json()["error"] == "unauthorized_client"
        assert _refresh(client, tokens["refresh_token"]).status_code == 200  # not spent by the failed attempt


def test_a_replayed_code_revokes_the_refresh_token_and_everything_its_family_minted(
    make_bridge: BridgeFactory,
) -> None:
    """RFC 6749 §4.1.2 / RFC 9700 §4.5: a code redeemed twice was stolen; the whole grant dies, not only the
    first access token."""
    with make_bridge(refresh=True) as client:
        code = sign_in(client)
        first = redeem(client, code)
        refreshed = _refresh(client, first["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        second = refreshed.json()
        replay = client.post(
            "/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_REDIRECT,
                  "code_verifier": pkce_pair()[0]},
            auth=(PORTAL_ID, PORTAL_SECRET),
        )  # fmt: skip
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        kind, _, detail = last_audit(bridge_of(client).config.store.path)
        assert (kind, detail["revoked_tokens"]) == ("token.code_replayed", 4)  # 2 access + 2 refresh tokens
        for access_token in (first["access_token"], second["access_token"]):
            assert client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code == 401
        late = _refresh(client, second["refresh_token"])
        assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
