"""Administration (issue 6) on the session machinery (issue 4), end to end with a REAL back-channel receiver:
sessions the admin API ends leave the worker cache, tell the browser why and reach the portals; the API's idle
timeout and session limit are the session rules' own per-technician settings; the startup check and a policy save
both follow the versioned policy in the store."""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path
from typing import Any

import httpx2
from starlette.testclient import TestClient

from idp_bridge.admin.api_tokens import create_token
from idp_bridge.clock import FrozenClock
from idp_bridge.policy.document import canonical, parse
from idp_bridge.sessions.limits import rules_for_user
from idp_bridge.store.records.admin import PolicyVersion
from tests.bridge_harness import authorize_url, other_browser, running_bridge
from tests.session_fixtures import BridgeFactory, bridge_of, portal_login, run_in_bridge, settle
from tests.session_harness import LogoutReceiver, jwks_of, session_config, validate_logout_token
from tests.store_peek import live_sessions


def _token(client: TestClient, *scopes: str) -> str:
    bridge = bridge_of(client)
    create = functools.partial(
        create_token, bridge.store, name="test", scopes=frozenset(scopes), lifetime_seconds=3600,
        created_by="test", now=bridge.clock.now(),
    )  # fmt: skip
    bearer, _ = run_in_bridge(client, create)
    return str(bearer)


def _api(client: TestClient, method: str, path: str, token: str, body: Any = None) -> httpx2.Response:
    other = other_browser(client)  # no session cookie: the API is called with the bearer token only
    return other.request(method, "/admin/api" + path, headers={"Authorization": f"Bearer {token}"}, json=body)


def _sid_and_sub(client: TestClient, tokens: dict[str, Any]) -> tuple[str, str]:
    claims = bridge_of(client).keys.verify(str(tokens["id_token"]))
    return str(claims["sid"]), str(claims["sub"])


def _logout(client: TestClient, receiver: LogoutReceiver) -> dict[str, object]:
    return validate_logout_token(receiver.next_token(), jwks_of(client), bridge_of(client).issuer, "console")


def _notice(client: TestClient, provider: str = "acme") -> str:
    response = client.get(authorize_url(provider_hint=provider), follow_redirects=False)
    assert response.status_code == 401, (response.status_code, response.headers.get("location"))
    start = response.text.index('id="signed-out-message"')
    return html.unescape(response.text[response.text.index(">", start) + 1 : response.text.index("</p>", start)])


def _deliveries(client: TestClient, sid: str) -> list[tuple[str, str]]:
    settle(client)
    found = run_in_bridge(client, bridge_of(client).store.list_logout_deliveries, sid)
    return [(d.status, d.reason) for d in found]


def test_admin_api_ends_a_session_through_session_end(make_bridge: BridgeFactory, receiver: LogoutReceiver) -> None:
    with make_bridge() as browser:
        sid, _ = _sid_and_sub(browser, portal_login(browser))
        assert browser.get("/session").status_code == 200  # now in this worker's session cache
        token = _token(browser, "sessions:write")
        ended = _api(browser, "DELETE", f"/sessions/{sid}", token)
        assert ended.json() == {"ended": True, "session_id": sid}
        assert _logout(browser, receiver)["sid"] == sid  # the portal heard of it
        assert _notice(browser) == "You were signed out by an administrator."  # the cache let go at once
        assert _deliveries(browser, sid) == [("delivered", "admin")]


def test_disabling_a_technician_ends_sessions_with_reason_disabled(
    make_bridge: BridgeFactory, receiver: LogoutReceiver
) -> None:
    with make_bridge() as browser:
        sid, alice = _sid_and_sub(browser, portal_login(browser))
        token = _token(browser, "technicians:write")
        disabled = _api(browser, "PATCH", f"/technicians/{alice}", token, {"disabled": True})
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        assert _logout(browser, receiver)["sid"] == sid
        assert _notice(browser) == "You were signed out because your account was disabled."
        assert _deliveries(browser, sid) == [("delivered", "disabled")]
        enabled = _api(browser, "PATCH", f"/technicians/{alice}", token, {"disabled": False})
        assert enabled.json()["disabled"] is False
        receiver.assert_none()


def test_api_limits_are_the_session_rules_own_settings(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, clock: FrozenClock
) -> None:
    with make_bridge() as first:
        bridge = bridge_of(first)
        first_sid, alice = _sid_and_sub(first, portal_login(first))
        token = _token(first, "technicians:write")
        limits = {"idle_timeout_seconds": 900, "session_limit": 2}
        changed = _api(first, "PATCH", f"/technicians/{alice}", token, limits)
        assert changed.status_code == 200, changed.text
        own = run_in_bridge(first, bridge.store.get_user_session_settings, alice)
        assert (own.idle_timeout_seconds, own.max_sessions) == (900, 2)
        rules = run_in_bridge(first, rules_for_user, bridge, alice)
        assert (rules.idle_timeout_seconds, rules.max_sessions) == (900, 2)

        clock.advance(1)  # distinct creation times: "oldest" is well defined
        second = other_browser(first)
        second_sid, _ = _sid_and_sub(second, portal_login(second))  # two allowed now: nobody evicted
        receiver.assert_none()
        clock.advance(1)
        third = other_browser(first)
        portal_login(third)  # the third evicts the oldest
        assert _logout(first, receiver)["sid"] == first_sid
        assert second.get("/session").status_code == 200
        session = run_in_bridge(first, bridge.store.get_session, second_sid, bridge.clock.now())
        assert session.idle_timeout == 900  # opened under the technician's own idle timeout

        cleared = _api(first, "PATCH", f"/technicians/{alice}", token, {"clear_session_limit": True})
        assert cleared.json()["session_limit"] is None and cleared.json()["idle_timeout_seconds"] == 900


def test_policy_save_ends_sessions_through_a_removed_provider(
    make_bridge: BridgeFactory, receiver: LogoutReceiver
) -> None:
    with make_bridge() as browser:
        sid, _ = _sid_and_sub(browser, portal_login(browser))
        token = _token(browser, "policy:write")
        saved = _api(browser, "PUT", "/policy", token, {"policy": {"allowed_providers": ["globex"]}, "comment": "x"})
        assert saved.status_code == 200, saved.text
        assert _logout(browser, receiver)["sid"] == sid
        notice = _notice(browser, "globex")  # (acme is refused before the session is looked at)
        assert notice == (
            "You were signed out because the sign-in policy changed: the sign-in provider you used, or your account "
            "with it, is no longer allowed."
        )
        assert _deliveries(browser, sid) == [("delivered", "policy_changed")]


def _store_version(client: TestClient, allowed: list[str]) -> None:
    """Write a policy version straight into the store (as another instance or `policy apply` would; without the
    save service, so no session ends now)."""
    bridge = bridge_of(client)
    document = parse({"allowed_providers": allowed}, bridge.config)
    number = run_in_bridge(client, bridge.store.policy_version_number) + 1
    record = PolicyVersion(number, canonical(document), "test", "direct", bridge.clock.now(), "")
    assert run_in_bridge(client, bridge.store.add_policy_version, record)


def test_startup_check_follows_the_current_store_version(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path, clock: FrozenClock, receiver: LogoutReceiver
) -> None:
    config = session_config(tmp_path, upstreams, key_file=key_file, backchannel_uri=receiver.url)
    with running_bridge(config, clock) as first:
        sid, _ = _sid_and_sub(first, portal_login(first))
        _store_version(first, ["acme", "globex"])  # version 1 in the store: acme still allowed
        settle(first)
    # The config file no longer lists acme, but the store's current version does: the session stays.
    narrowed = config.model_copy(update={"policy": config.policy.model_copy(update={"allowed_providers": ("globex",)})})
    with running_bridge(narrowed, clock) as second:
        receiver.assert_none()
        assert live_sessions(config.store.path) == 1
        _store_version(second, ["globex"])  # version 2 drops acme; sessions end at the next start
        assert live_sessions(config.store.path) == 1
    with running_bridge(config, clock) as third:  # the config file allows acme again; version 2 does not
        assert _logout(third, receiver)["sid"] == sid
        assert live_sessions(config.store.path) == 0
        assert _deliveries(third, sid) == [("delivered", "policy_changed")]
        stored = run_in_bridge(third, bridge_of(third).store.get_policy_version)
        assert json.loads(stored.document)["allowed_providers"] == ["globex"]
