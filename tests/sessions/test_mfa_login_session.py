"""A login finished by a local second factor: its session says mfa and when, and the concurrency rule applies."""

from __future__ import annotations

import sqlite3

import httpx2
import pyotp
from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.config.mfa_model import MFAConfig
from tests.bridge_harness import PORTAL_ID, LoginDriver, authorize_url, other_browser
from tests.mfa.mfa_harness import csrf, secret_of
from tests.session_fixtures import BridgeFactory, bridge_of, redeem
from tests.session_harness import LogoutReceiver, jwks_of, validate_logout_token
from tests.store_peek import live_sessions


def _first_factor(client: TestClient, user: str) -> httpx2.Response:
    """The upstream login, up to the bridge's second-factor page."""
    driver = LoginDriver(client)
    try:
        result = driver.login(authorize_url(provider_hint="acme"), user=user)
    finally:
        driver.close()
    assert result.page is not None and result.page.status_code == 200, result.steps
    return result.page


def _finish(client: TestClient, response: httpx2.Response) -> dict[str, object]:
    """From the second factor's redirect to the portal's tokens."""
    assert response.status_code == 303, response.text[:500]
    driver = LoginDriver(client)
    try:
        result = driver.login(response.headers["location"])
    finally:
        driver.close()
    return redeem(client, result.params["code"])


def test_local_mfa_session_carries_mfa_and_its_time_and_evicts_the_older_session(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge(mfa=MFAConfig(required=True)) as first:
        bridge = bridge_of(first)
        db = bridge.config.store.path
        page = _first_factor(first, "alice")  # no MFA upstream: enrollment at the first login
        secret, token = secret_of(page), csrf(page)
        enrolled = first.post("/mfa/enroll", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now())})
        assert enrolled.status_code == 200
        first_sid = bridge.keys.verify(str(_finish(first, first.post(
            "/mfa/complete", data={"csrf_token": token}, follow_redirects=False))["id_token"]))["sid"]  # fmt: skip

        second = other_browser(first)
        page = _first_factor(second, "alice")
        assert "Enter the code from your authenticator app" in page.text
        assert live_sessions(db) == 1  # the login waiting for its second factor is no session: nothing evicted
        receiver.assert_none()
        assert first.get("/session").status_code == 200

        clock.advance(45)  # the second factor comes a while after the first (and in a new TOTP time step)
        code = pyotp.TOTP(secret).at(clock.now())
        tokens = _finish(second, second.post("/mfa/totp", data={"csrf_token": csrf(page), "code": code},
                                             follow_redirects=False))  # fmt: skip
        claims = bridge.keys.verify(str(tokens["id_token"]))
        assert claims["acr"] == "urn:idp-bridge:loa:2" and "mfa" in claims["amr"]
        assert claims["auth_time"] == int(clock.now())  # when the second factor succeeded
        assert claims["sid"] != first_sid and live_sessions(db) == 1  # max_sessions = 1: the older one went
        logout = validate_logout_token(receiver.next_token(), jwks_of(first), bridge.issuer, PORTAL_ID)
        assert logout["sid"] == first_sid
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT end_reason, amr FROM sessions WHERE id = ?", (first_sid,)).fetchone()
            new = conn.execute("SELECT amr, auth_time FROM sessions WHERE id = ?", (claims["sid"],)).fetchone()
        conn.close()
        assert row[0] == "evicted" and "mfa" in row[1]
        assert "mfa" in new[0] and new[1] == int(clock.now())
