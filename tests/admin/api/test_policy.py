"""The admin API's policy endpoints end to end: dry run, save, versions, rollback, sessions ending, two instances."""

from __future__ import annotations

from pathlib import Path

from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from tests.admin.api.api_harness import admin_bridge, error_of
from tests.bridge_harness import LoginDriver, LoginResult, authorize_url, error_page_text, other_browser, running_bridge
from tests.store_peek import audit_types

ONLY_GLOBEX = {"allowed_providers": ["globex"]}


def test_remove_a_provider_dry_run_save_and_roll_back(config: Config) -> None:
    with admin_bridge(config) as b:
        token = b.token("policy:write", "sessions:read")
        assert b.login("alice@example.com").final_url is not None
        alice = b.user_id("alice@example.com")
        assert len(b.live_sessions(alice)) == 1

        current = b.api("GET", "/policy", token).json()
        assert current["version"] == 1 and current["policy"]["allowed_providers"] == ["acme", "globex"]

        preview = b.api("POST", "/policy/dry-run", token, json={"policy": ONLY_GLOBEX}).json()
        assert preview["base_version"] == 1
        assert '-    "acme",' in preview["diff"]
        assert [s["user_id"] for s in preview["would_end_sessions"]] == [alice]
        lost = {(u["user_id"], u["portal"]) for u in preview["would_lose_access"]}
        assert lost == {(alice, "console"), (alice, "spa")}
        assert len(b.live_sessions(alice)) == 1  # a dry run changes nothing

        body = {"policy": ONLY_GLOBEX, "comment": "acme retired", "base_version": 1}
        saved = b.api("PUT", "/policy", token, json=body)
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == 2 and saved.json()["author"].startswith("token:")
        assert b.live_sessions(alice) == []  # opened through a provider no longer allowed: ended at once
        refused = b.login("alice@example.com")
        assert refused.page is not None and refused.page.status_code == 403
        assert error_page_text(refused.page)[0] == "Sign-in not allowed"

        versions = b.api("GET", "/policy/versions", token).json()["versions"]
        assert [(v["version"], v["comment"]) for v in versions] == [
            (2, "acme retired"), (1, "initial policy from the config file"),
        ]
        assert b.api("GET", "/policy/versions/2", token).json()["diff"].startswith("--- version 1")

        stale = b.api("PUT", "/policy", token, json={"policy": {"allowed_providers": ["acme"]}, "comment": "x",
                                                     "base_version": 1})  # fmt: skip
        assert error_of(stale, 409) == "conflict"
        same = b.api("PUT", "/policy", token, json={"policy": ONLY_GLOBEX, "comment": "again"})
        assert error_of(same, 409) == "unchanged"

        back = b.api("POST", "/policy/rollback", token, json={"version": 1})
        assert back.status_code == 200 and back.json()["version"] == 3 and back.json()["rollback_of"] == 1
        assert b.login("alice@example.com").final_url is not None
        assert ("policy.changed", "success") in audit_types(b.db)


def test_invalid_policies_are_refused_with_the_key_and_nothing_changes(config: Config) -> None:
    with admin_bridge(config) as b:
        token = b.token("policy:write")
        for body, code, needle in [
            ({"policy": {"allowed_providers": []}, "comment": "c"}, "invalid_policy", "must name at least one"),
            ({"policy": {"allowed_providers": ["okta"]}, "comment": "c"}, "invalid_policy", "unknown provider"),
            ({"policy": ONLY_GLOBEX}, "invalid_request", "comment: Field required"),
            ({"policy": ONLY_GLOBEX, "comment": "c", "surprise": 1}, "invalid_request", "surprise"),
        ]:
            response = b.api("PUT", "/policy", token, json=body)
            assert error_of(response, 422) == code
            assert needle in response.json()["message"], response.json()
        bad_json = b.client.put("/admin/api/policy", content=b"{nope", headers={"Authorization": f"Bearer {token}"})
        assert error_of(bad_json, 400) == "invalid_json"
        assert error_of(b.api("POST", "/policy/rollback", token, json={"version": 7}), 404) == "not_found"
        assert b.api("GET", "/policy", token).json()["version"] == 1
        assert ("admin.rejected", "failure") in audit_types(b.db)


def test_a_saved_policy_applies_on_another_instance_within_a_second(config: Config, tmp_path: Path) -> None:
    with admin_bridge(config) as a:
        other_clock = FrozenClock(a.clock.now())
        with running_bridge(config, clock=other_clock) as other:
            acme = authorize_url(provider_hint="acme")

            def login_in_new_browser() -> LoginResult:
                # (a new browser each time: the save ends bob's acme session, and a browser still holding its
                # cookie would be shown the signed-out notice first)
                driver = LoginDriver(other_browser(other))
                try:
                    return driver.login(acme, provider="acme", user="bob")
                finally:
                    driver.close()

            assert login_in_new_browser().final_url is not None  # caches v1
            saved = a.api("PUT", "/policy", a.token("policy:write"), json={"policy": ONLY_GLOBEX, "comment": "c"})
            assert saved.status_code == 200
            other_clock.advance(0.5)  # within the refresh interval the other instance may still allow acme
            assert login_in_new_browser().final_url is not None
            other_clock.advance(0.6)
            refused = login_in_new_browser()
            assert refused.page is not None and refused.page.status_code == 403


