"""RP-initiated logout (/logout, the end_session_endpoint) and its bad inputs: the session ends only when the
request is tied to it, the redirect only goes to a registered post_logout_redirect_uri, forms are CSRF-checked."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from tests.bridge_harness import error_page_text, other_browser
from tests.session_fixtures import BridgeFactory, bridge_of, portal_login
from tests.session_harness import LogoutReceiver, jwks_of, validate_logout_token
from tests.store_peek import last_audit, live_sessions

SIGNED_OUT = "http://127.0.0.1:7001/signed-out"


def _logout(client: TestClient, **params: str) -> object:
    return client.get("/logout?" + urlencode(params), follow_redirects=False)


def _db(client: TestClient) -> str:
    return bridge_of(client).config.store.path


def test_hint_tied_to_the_session_signs_out_and_returns_with_state(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge() as client:
        tokens = portal_login(client)
        clock.advance(400)  # the id_token (300 s) has expired: still a valid hint
        response = _logout(
            client, id_token_hint=tokens["id_token"], post_logout_redirect_uri=SIGNED_OUT, state="s t&x"
        )
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert response.headers["location"] == SIGNED_OUT + "?state=s+t%26x"  # type: ignore[attr-defined]
        assert 'idp_bridge_session=""' in response.headers["set-cookie"]  # type: ignore[attr-defined]
        assert live_sessions(_db(client)) == 0
        claims = validate_logout_token(receiver.next_token(), jwks_of(client), bridge_of(client).issuer, "console")
        assert claims["sid"] == bridge_of(client).keys.verify(tokens["id_token"])["sid"]
        assert client.get("/session/status").status_code == 401


def test_without_a_hint_the_user_confirms_with_a_csrf_protected_form(
    make_bridge: BridgeFactory, receiver: LogoutReceiver
) -> None:
    with make_bridge() as client:
        portal_login(client)
        page = _logout(client, client_id="console", post_logout_redirect_uri=SIGNED_OUT, state="abc")
        assert page.status_code == 200 and 'id="confirm-logout"' in page.text  # type: ignore[attr-defined]
        assert live_sessions(_db(client)) == 1  # nothing ended yet
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[attr-defined,union-attr]
        form = {"client_id": "console", "post_logout_redirect_uri": SIGNED_OUT, "state": "abc"}
        bad = client.post("/logout/confirm", data={**form, "csrf": "0" * 64}, follow_redirects=False)
        assert bad.status_code == 400 and error_page_text(bad)[0] == "Sign-out not confirmed"
        assert last_audit(_db(client))[2]["reason"] == "bad_csrf_token" and live_sessions(_db(client)) == 1
        stranger = other_browser(client)  # another browser cannot use this browser's form token
        assert stranger.post("/logout/confirm", data={**form, "csrf": csrf}).status_code == 400
        ok = client.post("/logout/confirm", data={**form, "csrf": csrf}, follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"] == SIGNED_OUT + "?state=abc"
        assert live_sessions(_db(client)) == 0
        receiver.next_token()


def test_a_hint_for_another_users_session_ends_nothing(make_bridge: BridgeFactory, receiver: LogoutReceiver) -> None:
    with make_bridge() as alice:
        portal_login(alice)
        bob = other_browser(alice)
        bob_tokens = portal_login(bob, user="bob")
        # alice's browser presents bob's id_token (his sid): not tied to alice's session -> confirmation only
        page = _logout(alice, id_token_hint=bob_tokens["id_token"], post_logout_redirect_uri=SIGNED_OUT)
        assert page.status_code == 200 and 'id="confirm-logout"' in page.text  # type: ignore[attr-defined]
        assert live_sessions(_db(alice)) == 2
        receiver.assert_none()
        assert bob.get("/session/status").status_code == 200


def test_unregistered_post_logout_redirect_uri_is_refused_without_redirect(
    make_bridge: BridgeFactory, receiver: LogoutReceiver
) -> None:
    with make_bridge() as client:
        tokens = portal_login(client)
        cases = [
            ({"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
             "post_logout_redirect_uri_mismatch"),
            ({"client_id": "console", "post_logout_redirect_uri": SIGNED_OUT + "/x"},
             "post_logout_redirect_uri_mismatch"),
            ({"client_id": "spa", "post_logout_redirect_uri": SIGNED_OUT}, "post_logout_redirect_uri_mismatch"),
            ({"post_logout_redirect_uri": SIGNED_OUT}, "redirect_without_client"),
            ({"id_token_hint": tokens["id_token"], "client_id": "spa"}, "client_id_mismatch"),
            ({"client_id": "nope"}, "unknown_client"),
            ({"id_token_hint": tokens["id_token"][:-4] + "AAAA"}, "bad_id_token_hint"),  # tampered signature
            ({"id_token_hint": "not.a.jwt"}, "bad_id_token_hint"),
        ]  # fmt: skip
        for params, reason in cases:
            response = _logout(client, **params)
            assert response.status_code == 400, params  # type: ignore[attr-defined]
            assert "location" not in response.headers  # type: ignore[attr-defined]
            error_page_text(response)  # type: ignore[arg-type]
            kind, outcome, detail = last_audit(_db(client))
            assert (kind, outcome, detail["reason"]) == ("logout.rejected", "failure", reason), params
        assert live_sessions(_db(client)) == 1
        receiver.assert_none()


def test_logout_without_a_session_still_returns_to_the_portal(make_bridge: BridgeFactory) -> None:
    with make_bridge() as client:
        response = _logout(client, client_id="console", post_logout_redirect_uri=SIGNED_OUT, state="z")
        assert response.status_code == 303 and response.headers["location"] == SIGNED_OUT + "?state=z"  # type: ignore[attr-defined]
        page = client.get("/logout")
        assert page.status_code == 200 and "You are not signed in" in page.text
