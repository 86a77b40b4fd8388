"""Forward-auth route step-up: the live session gains the local second factor in place (same sid, new token)."""

from __future__ import annotations

from urllib.parse import quote

import httpx2
import pyotp
from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.store.records.core import secret_hash
from tests.bridge_harness import LoginDriver, authorize_url, other_browser
from tests.mfa.mfa_harness import csrf, secret_of
from tests.session_fixtures import BridgeFactory, bridge_of, redeem, run_in_bridge, sign_in
from tests.session_harness import LogoutReceiver
from tests.store_peek import audit_types, live_sessions

APP = "app.test"


def _check(client: TestClient, uri: str) -> httpx2.Response:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": APP, "X-Forwarded-Uri": uri}
    return client.get("/forward-auth", headers=headers, follow_redirects=False)


def _to_second_factor(client: TestClient, uri: str) -> httpx2.Response:
    """Follow forward-auth's 401 to the sign-in URL: a live session goes straight to the second-factor page."""
    denied = _check(client, uri)
    assert denied.status_code == 401
    issuer = bridge_of(client).issuer
    step = client.get(denied.headers["location"].removeprefix(issuer), follow_redirects=False)
    assert step.status_code == 303 and step.headers["location"] == "/mfa", step.text[:300]
    page = client.get("/mfa")
    assert page.status_code == 200
    return page


def _back_to_app(client: TestClient, response: httpx2.Response, uri: str) -> None:
    assert response.status_code == 303 and response.headers["location"] == f"https://{APP}{uri}", response.text[:300]
    assert _check(client, uri).status_code == 200


def _session_token(client: TestClient) -> str:
    cookie = client.cookies.get(bridge_of(client).session_cookie.name)
    assert cookie is not None
    return cookie


def test_route_step_up_is_the_local_second_factor_on_the_same_session(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge(protected_hosts=(APP,)) as client:
        bridge = bridge_of(client)
        sid = bridge.keys.verify(redeem(client, sign_in(client, "alice"))["id_token"])["sid"]  # the portal's sid
        assert _check(client, "/reports").status_code == 200  # single factor is enough here (and now cached)
        old_cookie = _session_token(client)

        # /admin needs MFA within 600 s: alice enrolls an authenticator, no new upstream login.
        page = _to_second_factor(client, "/admin/users")
        assert "Set up two-factor authentication" in page.text
        secret = secret_of(page)
        token = csrf(page)
        enrolled = client.post("/mfa/enroll", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now())})
        assert enrolled.status_code == 200
        _back_to_app(client, client.post("/mfa/complete", data={"csrf_token": token}, follow_redirects=False),
                     "/admin/users")  # fmt: skip

        headers = _check(client, "/admin/users").headers
        assert headers["x-auth-amr"] == "pwd,otp,mfa" and headers["x-auth-acr"] == "urn:idp-bridge:loa:2"
        session = run_in_bridge(client, bridge.store.get_session, sid, clock.now())
        assert session.amr == ("pwd", "otp", "mfa") and session.auth_time == int(clock.now())  # the same session
        assert live_sessions(bridge.config.store.path) == 1
        # A new browser token (privilege changed); the old one fails at once, in this worker's cache too.
        assert _session_token(client) != old_cookie
        stale = other_browser(client)
        stale.cookies.set(bridge.session_cookie.name, old_cookie)
        assert _check(stale, "/reports").status_code == 401
        assert ("session.stepped_up", "success") in audit_types(bridge.config.store.path)
        receiver.assert_none()  # stepping up logs no portal out
        # The portal's single sign-on sees the stepped-up session: acr_values for MFA is met without a step.
        driver = LoginDriver(client)
        try:
            result = driver.login(authorize_url(acr_values="urn:idp-bridge:loa:2"))
        finally:
            driver.close()
        claims = bridge.keys.verify(redeem(client, result.params["code"])["id_token"])
        assert (claims["sid"], claims["acr"], claims["amr"]) == (sid, "urn:idp-bridge:loa:2", ["pwd", "otp", "mfa"])

        # Ten minutes later the MFA is too old for /admin (not for /reports): the app's code steps it up again.
        clock.advance(601)
        assert _check(client, "/reports").status_code == 200
        page = _to_second_factor(client, "/admin")
        assert "Enter the code from your authenticator app" in page.text
        code = pyotp.TOTP(secret).at(clock.now())
        done = client.post("/mfa/totp", data={"csrf_token": csrf(page), "code": code}, follow_redirects=False)
        _back_to_app(client, done, "/admin")
        session = run_in_bridge(client, bridge.store.get_session, sid, clock.now())
        assert session.auth_time == int(clock.now()) and session.token_hash == secret_hash(
            bridge.session_cookie.unsign(_session_token(client)) or ""
        )


def test_signed_out_browser_on_a_step_up_route_signs_in_upstream_then_local_factor(
    make_bridge: BridgeFactory, clock: FrozenClock
) -> None:
    with make_bridge(protected_hosts=(APP,)) as client:
        driver = LoginDriver(client)
        try:
            result = driver.login(f"/forward-auth/sign-in?rd={quote(f'https://{APP}/admin', safe='')}", user="carol",
                                  provider="acme", stop_prefix=(f"https://{APP}",))  # fmt: skip
        finally:
            driver.close()
        assert result.page is not None and "Set up two-factor authentication" in result.page.text, result.steps
        assert live_sessions(bridge_of(client).config.store.path) == 0  # the pending login is no session
        token = csrf(result.page)
        code = pyotp.TOTP(secret_of(result.page)).at(clock.now())
        assert client.post("/mfa/enroll", data={"csrf_token": token, "code": code}).status_code == 200
        _back_to_app(client, client.post("/mfa/complete", data={"csrf_token": token}, follow_redirects=False),
                     "/admin")  # fmt: skip
        assert live_sessions(bridge_of(client).config.store.path) == 1
