"""Session rules end to end (in-process bridge, REAL upstream processes, REAL back-channel receiver, injected
clock): eviction, idle and absolute expiry, forced logout, per-role and per-technician settings."""

from __future__ import annotations

import functools
import html
from typing import get_args

import pytest
from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.config.session_model import RoleName
from idp_bridge.mfa import admin
from idp_bridge.sessions.end import disable_user, end_user_sessions, sweep_expired_sessions
from idp_bridge.sessions.limits import rules_for_user
from idp_bridge.store.records.session_rules import UserSessionSettings
from policies.roles import ROLES
from tests.bridge_harness import LoginDriver, authorize_url, other_browser
from tests.session_fixtures import BridgeFactory, bridge_of, portal_login, run_in_bridge, settle
from tests.session_harness import LogoutReceiver, jwks_of, validate_logout_token
from tests.store_peek import live_sessions

EVICTED = "You were signed out because your account signed in on another device."


def _sid(client: TestClient, tokens: dict[str, object]) -> str:
    sid: str = bridge_of(client).keys.verify(str(tokens["id_token"]))["sid"]
    return sid


def _notice(client: TestClient) -> str:
    """What the browser sees on its next request: the signed-out page's message."""
    response = client.get(authorize_url(provider_hint="acme"), follow_redirects=False)
    assert response.status_code == 401, (response.status_code, response.headers.get("location"))
    start = response.text.index('id="signed-out-message"')
    text = response.text[response.text.index(">", start) + 1 : response.text.index("</p>", start)]
    assert 'id="sign-in-again" href="/login?request=' in response.text
    return html.unescape(text)


def _logout_claims(client: TestClient, receiver: LogoutReceiver) -> dict[str, object]:
    return validate_logout_token(receiver.next_token(), jwks_of(client), bridge_of(client).issuer, "console")


def test_login_elsewhere_evicts_the_older_session_everywhere(
    make_bridge: BridgeFactory, receiver: LogoutReceiver
) -> None:
    with make_bridge() as first:
        first_sid = _sid(first, portal_login(first))
        second = other_browser(first)
        second_sid = _sid(second, portal_login(second))
        claims = _logout_claims(first, receiver)
        assert claims["sid"] == first_sid and claims["sub"]
        assert live_sessions(bridge_of(first).config.store.path) == 1
        assert _notice(first) == EVICTED
        # the notice cleared the dead cookie: the next attempt starts a normal login
        assert first.get(authorize_url(provider_hint="acme"), follow_redirects=False).status_code == 303
        settle(first)
        deliveries = run_in_bridge(first, bridge_of(first).store.list_logout_deliveries, first_sid)
        assert [(d.status, d.attempts, d.reason) for d in deliveries] == [("delivered", 1, "evicted")]
        assert second.get("/session").status_code == 200 and second_sid != first_sid


def test_per_role_limit_evicts_the_oldest_first(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    roles = {"roles": {"admin": {"max_sessions": 2}}}
    with make_bridge(sessions=roles) as a:
        bridge = bridge_of(a)
        sid_a = _sid(a, portal_login(a, "bob"))  # bob: upstream MFA, which admins need (the same role decides)
        user_id = bridge.keys.verify(str(portal_login(other_browser(a), "bob")["id_token"]))["sub"]  # evicts a
        assert _logout_claims(a, receiver)["sid"] == sid_a
        # The role is the technician record's (the admin CLI's set-role; MFA reads the same role); the idle
        # timeout is the technician's own session setting.
        run_in_bridge(a, functools.partial(admin.save_settings, bridge, user_id, role="admin"))
        settings = UserSessionSettings(user_id, idle_timeout_seconds=120)
        run_in_bridge(a, bridge.store.put_user_session_settings, settings)
        browsers = [other_browser(a) for _ in range(3)]
        sids = []
        for b in browsers:
            clock.advance(1)  # distinct creation times: "oldest" is well defined
            sids.append(_sid(b, portal_login(b, "bob")))
        live = run_in_bridge(a, bridge.store.list_user_sessions, user_id, bridge.clock.now())
        assert [s.id for s in live] == sids[1:]  # two at once for an admin; the oldest went first
        assert all(s.idle_timeout == 120 for s in live)  # the technician's own idle timeout
        assert _notice(browsers[0]) == EVICTED


def test_one_role_decides_mfa_and_session_rules(make_bridge: BridgeFactory) -> None:
    """The technician record's role (set by an admin) is what both the session rules and the MFA requirement
    read: alice made admin gets the admin session limit and must pass MFA (admins always do)."""
    with make_bridge(sessions={"roles": {"admin": {"max_sessions": 3, "idle_timeout_seconds": 600}}}) as client:
        bridge = bridge_of(client)
        user_id = bridge.keys.verify(str(portal_login(client)["id_token"]))["sub"]
        assert run_in_bridge(client, rules_for_user, bridge, user_id).role == "technician"
        run_in_bridge(client, functools.partial(admin.save_settings, bridge, user_id, role="admin"))
        rules = run_in_bridge(client, rules_for_user, bridge, user_id)
        assert (rules.role, rules.max_sessions, rules.idle_timeout_seconds) == ("admin", 3, 600)
        browser = other_browser(client)
        driver = LoginDriver(browser)
        try:
            result = driver.login(authorize_url(provider_hint="acme"), user="alice")
        finally:
            driver.close()
        assert result.page is not None and "Set up two-factor authentication" in result.page.text
    assert get_args(RoleName) == ROLES


def test_idle_session_is_swept_and_its_portals_told(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge() as client:
        sid = _sid(client, portal_login(client))
        clock.advance(1799)
        assert run_in_bridge(client, sweep_expired_sessions, bridge_of(client)) == 0
        receiver.assert_none()
        clock.advance(1)
        assert run_in_bridge(client, sweep_expired_sessions, bridge_of(client)) == 1
        assert _logout_claims(client, receiver)["sid"] == sid
        assert "inactive" in _notice(client)


def test_idle_expiry_is_found_lazily_on_the_next_request(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge(sessions={"idle_timeout_seconds": 300}) as client:
        tokens = portal_login(client)
        clock.advance(300)  # the access token (600 s) is still valid; the session is not
        response = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert response.status_code == 401
        assert _logout_claims(client, receiver)["sid"] == _sid(client, tokens)  # no sweep ran


def test_activity_moves_the_idle_deadline_but_not_the_absolute_one(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge(sessions={"lifetime_seconds": 900, "idle_timeout_seconds": 600}) as client:
        sid = _sid(client, portal_login(client))
        for _ in range(2):
            clock.advance(400)
            assert client.get("/session").status_code == 200  # activity
        clock.advance(99)  # 899 s: idle would be long gone without the activity
        assert client.get("/session/status").json()["absolute_seconds_left"] == 1
        clock.advance(1)
        assert run_in_bridge(client, sweep_expired_sessions, bridge_of(client)) == 1
        assert _logout_claims(client, receiver)["sid"] == sid
        assert "maximum length" in _notice(client)


@pytest.mark.parametrize(("reason", "message"), [("mfa_changed", "multi-factor"), ("admin", "administrator")])
def test_forced_logout_ends_every_session_of_the_user(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, reason: str, message: str
) -> None:
    with make_bridge(sessions={"max_sessions": 2}) as a:
        b, bob = other_browser(a), other_browser(a)
        tokens = portal_login(a)
        sids = {_sid(a, tokens), _sid(b, portal_login(b))}
        portal_login(bob, user="bob")
        user_id = bridge_of(a).keys.verify(str(tokens["id_token"]))["sub"]
        ended = run_in_bridge(a, end_user_sessions, bridge_of(a), user_id, reason)  # what the MFA work calls
        assert {s.id for s in ended} == sids and all(s.end_reason == reason for s in ended)
        assert {_logout_claims(a, receiver)["sid"] for _ in ended} == sids
        receiver.assert_none()  # nothing for bob
        assert message in _notice(a) and message in _notice(b)
        assert bob.get("/session/status").status_code == 200  # bob is untouched


def test_disabling_a_user_ends_their_sessions(make_bridge: BridgeFactory, receiver: LogoutReceiver) -> None:
    with make_bridge() as client:
        tokens = portal_login(client)
        user_id = bridge_of(client).keys.verify(str(tokens["id_token"]))["sub"]
        ended = run_in_bridge(client, disable_user, bridge_of(client), user_id)
        assert [s.end_reason for s in ended] == ["disabled"]
        assert _logout_claims(client, receiver)["sid"] == _sid(client, tokens)
        assert "disabled" in _notice(client)


def test_a_policy_change_removing_the_provider_ends_its_sessions_at_startup(
    make_bridge: BridgeFactory, receiver: LogoutReceiver
) -> None:
    with make_bridge() as client:
        acme_sid = _sid(client, portal_login(client, provider="acme"))
        globex = other_browser(client)
        portal_login(globex, user="bob", provider="globex")
        config = bridge_of(client).config
    narrowed = config.model_copy(update={"policy": config.policy.model_copy(update={"allowed_providers": ("globex",)})})
    from tests.bridge_harness import running_bridge

    with running_bridge(narrowed, bridge_of(client).clock) as restarted:
        assert _logout_claims(restarted, receiver)["sid"] == acme_sid
        receiver.assert_none()  # the globex session stays
        assert live_sessions(config.store.path) == 1
