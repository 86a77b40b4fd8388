"""A policy version that narrows a provider's global identity rule ends, at once, the live sessions of accounts the
new rule refuses, judged on the identity facts each session kept from its login (real upstream, real back-channel
receiver): the dry run lists them with why, the save ends them through session_end, the others stay live.

The generic OIDC provider of the upstream mock reads `groups` from the id_token and has no tenant or app roles, so
group rules are tested here end to end; tenant and role rules at the unit level (tests/policies)."""

from __future__ import annotations

import functools
import json
import sqlite3
from typing import Any

import httpx2
import pyotp
from starlette.testclient import TestClient

from idp_bridge.admin.api_tokens import create_token
from idp_bridge.clock import FrozenClock
from idp_bridge.config.mfa_model import MFAConfig
from idp_bridge.store.records.session_rules import SessionIdentity
from tests.admin.console.upstream_users import add_upstream_user
from tests.bridge_harness import LoginDriver, authorize_url, other_browser
from tests.mfa.mfa_harness import csrf, secret_of
from tests.session_fixtures import BridgeFactory, bridge_of, portal_login, redeem, run_in_bridge, settle
from tests.session_harness import LogoutReceiver, jwks_of, validate_logout_token

FIELD, OFFICE = "idrule-field", "idrule-office"  # upstream users of their own (the upstream lives all session)
OFFICE_ONLY = {"allowed_providers": ["acme", "globex"], "identity_rules": {"acme": {"groups": ["office"]}}}


def _api(client: TestClient, method: str, path: str, body: Any = None) -> httpx2.Response:
    bridge = bridge_of(client)
    create = functools.partial(
        create_token, bridge.store, name="test", scopes=frozenset({"policy:write"}), lifetime_seconds=3600,
        created_by="test", now=bridge.clock.now(),
    )  # fmt: skip
    bearer, _ = run_in_bridge(client, create)
    other = other_browser(client)  # no session cookie: the API is called with the bearer token only
    return other.request(method, "/admin/api" + path, headers={"Authorization": f"Bearer {bearer}"}, json=body)


def _sid_and_sub(client: TestClient, tokens: dict[str, Any]) -> tuple[str, str]:
    claims = bridge_of(client).keys.verify(str(tokens["id_token"]))
    return str(claims["sid"]), str(claims["sub"])


def _forced_logouts(db: str) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT user_id, detail FROM audit_events WHERE type = 'session.forced_logout' ORDER BY at, rowid"
        ).fetchall()
    conn.close()
    return [(row[0], json.loads(row[1])) for row in rows]


def _ended(client: TestClient, sid: str) -> tuple[str | None, list[tuple[str, str]]]:
    """(end reason, back-channel deliveries as (status, reason)) of a session."""
    settle(client)
    bridge = bridge_of(client)
    with sqlite3.connect(bridge.config.store.path) as conn:
        row = conn.execute("SELECT end_reason FROM sessions WHERE id = ?", (sid,)).fetchone()
    conn.close()
    deliveries = run_in_bridge(client, bridge.store.list_logout_deliveries, sid)
    return row[0], [(d.status, d.reason) for d in deliveries]


def test_a_narrowed_group_rule_ends_only_the_sessions_it_refuses(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, upstreams: dict[str, str]
) -> None:
    add_upstream_user(upstreams["acme"], FIELD, groups=("field",))
    add_upstream_user(upstreams["acme"], OFFICE, groups=("office",))
    with make_bridge() as field_browser:
        bridge = bridge_of(field_browser)
        field_sid, field_user = _sid_and_sub(field_browser, portal_login(field_browser, FIELD))
        office_browser = other_browser(field_browser)
        office_sid, office_user = _sid_and_sub(office_browser, portal_login(office_browser, OFFICE))
        kept = run_in_bridge(field_browser, bridge.store.get_session_identity, field_sid)
        assert kept == SessionIdentity(groups=("field",))  # the login's facts, kept with the session

        preview = _api(field_browser, "POST", "/policy/dry-run", {"policy": OFFICE_ONLY})
        assert preview.status_code == 200, preview.text
        assert preview.json()["would_end_sessions"] == [
            {"session_id": field_sid, "user_id": field_user, "provider_id": "acme", "reason": "group_not_allowed"}
        ]
        assert field_browser.get("/session").status_code == 200  # a dry run ends nothing
        receiver.assert_none()

        saved = _api(field_browser, "PUT", "/policy", {"policy": OFFICE_ONLY, "comment": "office staff only"})
        assert saved.status_code == 200, saved.text
        logout = validate_logout_token(receiver.next_token(), jwks_of(field_browser), bridge.issuer, "console")
        assert logout["sid"] == field_sid  # the portal heard of it: back-channel logout through session_end
        assert _ended(field_browser, field_sid) == ("policy_changed", [("delivered", "policy_changed")])
        notice = field_browser.get(authorize_url(provider_hint="acme"), follow_redirects=False)
        assert notice.status_code == 401 and "the sign-in policy changed" in notice.text

        receiver.assert_none()  # nothing for the office session, which stays live
        assert office_browser.get("/session").status_code == 200
        assert _ended(office_browser, office_sid) == (None, [])
        assert _forced_logouts(bridge.config.store.path) == [
            (field_user, {"reason": "policy_changed", "sessions": 1, "refusals": ["group_not_allowed"]})
        ]
        assert office_user != field_user

        driver = LoginDriver(other_browser(field_browser))  # and the rule refuses the field technician's next login
        try:
            again = driver.login(authorize_url(provider_hint="acme"), provider="acme", user=FIELD)
        finally:
            driver.close()
        assert again.page is not None and again.page.status_code == 403


def test_a_login_finished_by_a_local_second_factor_keeps_its_facts_and_is_judged_too(
    make_bridge: BridgeFactory, receiver: LogoutReceiver, upstreams: dict[str, str], clock: FrozenClock
) -> None:
    add_upstream_user(upstreams["acme"], FIELD, groups=("field",), mfa=False)
    with make_bridge(mfa=MFAConfig(required=True)) as browser:
        bridge = bridge_of(browser)
        driver = LoginDriver(browser)
        try:  # the upstream login stops at the bridge's second-factor page (a pending login, no session yet)
            first = driver.login(authorize_url(provider_hint="acme"), user=FIELD)
            assert first.page is not None and first.page.status_code == 200, first.steps
            token = csrf(first.page)
            code = pyotp.TOTP(secret_of(first.page)).at(clock.now())
            assert browser.post("/mfa/enroll", data={"csrf_token": token, "code": code}).status_code == 200
            done = browser.post("/mfa/complete", data={"csrf_token": token}, follow_redirects=False)
            assert done.status_code == 303, done.text[:500]
            finished = driver.login(done.headers["location"])
        finally:
            driver.close()
        sid, _ = _sid_and_sub(browser, redeem(browser, finished.params["code"]))
        assert run_in_bridge(browser, bridge.store.get_session_identity, sid) == SessionIdentity(groups=("field",))
        assert tuple(run_in_bridge(browser, bridge.store.get_session_groups, sid)) == ("field",)

        saved = _api(browser, "PUT", "/policy", {"policy": OFFICE_ONLY, "comment": "office staff only"})
        assert saved.status_code == 200, saved.text
        assert validate_logout_token(receiver.next_token(), jwks_of(browser), bridge.issuer, "console")["sid"] == sid
        assert _ended(browser, sid) == ("policy_changed", [("delivered", "policy_changed")])
