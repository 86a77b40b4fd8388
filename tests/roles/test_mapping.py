"""Tests for idp_bridge/roles/mapping.py and its consumers, with REAL upstream processes (bob's id_token carries
`groups: ["security-team"]`, demo/upstream.py): the mapped role is recorded at login, follows the upstream and the
policy version, never takes a local role away, and the effective role drives the MFA requirement, the session rules
and admin authorization alike."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from idp_bridge.admin import policy_service, technicians
from idp_bridge.bridge import Bridge
from idp_bridge.config.mfa_model import MFAConfig
from idp_bridge.config.model import Config
from idp_bridge.config.provider_models import MFATrustConfig
from idp_bridge.config.role_mapping_model import RoleMapping
from idp_bridge.demo.upstream import DEMO_ADMIN_GROUP
from idp_bridge.mfa import admin as mfa_admin
from idp_bridge.policy.document import PolicyDocument
from idp_bridge.roles.effective import effective_role
from idp_bridge.roles.mapping import record_mapped_role
from idp_bridge.sessions.limits import rules_for_user
from providers.base import Identity
from tests.admin.api.api_harness import AdminBridge, admin_bridge
from tests.bridge_harness import LoginDriver, authorize_url
from tests.mfa.mfa_harness import alert, csrf
from tests.session_harness import session_config

SUPER_ADMIN = RoleMapping(provider="acme", group=DEMO_ADMIN_GROUP, role="super_admin")
BOB, ALICE = "bob@example.com", "alice@example.com"


def role_config(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path, *mappings: RoleMapping,
    sessions: dict[str, Any] | None = None, mfa: MFAConfig | None = None, trust_upstream_mfa: bool = True,
) -> Config:  # fmt: skip
    """The test bridge with these role mappings in the config's [policy] (version 1 of the policy)."""
    base = session_config(tmp_path, upstreams, key_file=key_file, sessions=sessions, mfa=mfa)
    providers = dict(base.providers)
    if not trust_upstream_mfa:  # bob's `amr: ["pwd", "mfa"]` then proves nothing: the bridge's own rule decides
        providers["acme"] = providers["acme"].model_copy(update={"mfa": MFATrustConfig(trusted_amr=("hwk",))})
    policy = base.policy.model_copy(update={"role_mappings": mappings})
    return base.model_copy(update={"policy": policy, "providers": providers})


def bridge_of(b: AdminBridge) -> Bridge:
    bridge: Bridge = b.client.app.state.bridge  # type: ignore[attr-defined]
    return bridge


def save_mappings(b: AdminBridge, *mappings: RoleMapping) -> None:
    """A new policy version with these role mappings (everything else as it is)."""
    bridge = bridge_of(b)
    document: PolicyDocument = b.call(bridge.policy.document)
    changed = document.model_copy(update={"role_mappings": mappings})
    b.call(policy_service.save, bridge, changed, author="test", comment="role mappings")


def mapped(b: AdminBridge, user_id: str) -> tuple[str | None, float]:
    record = b.call(b.store.get_mapped_role, user_id)
    return record.mapped_role, record.updated_at


def role_events(db: str) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT type, detail FROM audit_events WHERE type LIKE 'role.%' ORDER BY at, rowid")
        return [(kind, json.loads(detail)) for kind, detail in rows]


def test_the_mapped_role_is_recorded_at_login_and_follows_the_policy_version(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    with admin_bridge(role_config(tmp_path, upstreams, key_file, SUPER_ADMIN)) as b:
        bridge = bridge_of(b)
        assert "code" in b.login("bob").params
        bob = b.user_id(BOB)
        role, recorded_at = mapped(b, bob)
        assert role == "super_admin"
        assert b.call(effective_role, b.store, bob) == "super_admin"
        assert b.call(technicians.effective_role, bridge, bob) == "super_admin"  # admin authorization reads it too
        assert [(t, d["old"], d["new"]) for t, d in role_events(b.db)] == [("role.mapped", None, "super_admin")]
        # Unchanged at the next login: read, not written again, not audited again.
        b.clock.advance(30)
        assert "code" in b.login("bob").params
        assert mapped(b, bob) == ("super_admin", recorded_at)
        assert len(role_events(b.db)) == 1
        # Alice's groups map to nothing: no record is written for her at all.
        assert "code" in b.login("alice").params
        assert mapped(b, b.user_id(ALICE)) == (None, 0.0)
        # A new policy version without the mapping leaves live sessions alone ...
        save_mappings(b)
        assert len(b.live_sessions(bob)) == 1 and mapped(b, bob)[0] == "super_admin"
        # ... and the next login clears the mapped role: it follows the upstream and the policy.
        assert "code" in b.login("bob").params
        assert mapped(b, bob)[0] is None
        assert b.call(effective_role, b.store, bob) == "technician"
        last_type, last = role_events(b.db)[-1]
        assert (last_type, last["old"], last["new"]) == ("role.mapped", "super_admin", None)


def test_a_local_role_above_the_mapped_one_is_kept(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    auditor = RoleMapping(provider="acme", group=DEMO_ADMIN_GROUP, role="auditor")
    with admin_bridge(role_config(tmp_path, upstreams, key_file, auditor)) as b:
        assert "code" in b.login("bob").params
        bob = b.user_id(BOB)
        assert mapped(b, bob)[0] == "auditor" and b.call(effective_role, b.store, bob) == "auditor"
        b.call(mfa_admin.save_settings, bridge_of(b), bob, role="admin")
        assert "code" in b.login("bob").params
        assert mapped(b, bob)[0] == "auditor"  # recorded as the upstream says ...
        assert b.call(effective_role, b.store, bob) == "admin"  # ... but it never takes the local role away
        # A mapping above the local role raises it.
        save_mappings(b, SUPER_ADMIN)
        assert "code" in b.login("bob").params
        assert b.call(effective_role, b.store, bob) == "super_admin"


def test_the_mapped_role_decides_the_mfa_requirement(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    # MFA is off globally; super_admin needs it (mfa.required_roles' default); bob's upstream MFA is not trusted here.
    config = role_config(tmp_path, upstreams, key_file, trust_upstream_mfa=False)
    with admin_bridge(config) as b:
        assert "code" in b.login("bob").params  # a technician: signed in on the upstream alone
        save_mappings(b, SUPER_ADMIN)
        result = b.login("bob")
        assert result.final_url is None and result.steps[-1].endswith("/mfa"), result.steps
        assert result.page is not None and result.page.status_code == 200
        with sqlite3.connect(b.db) as conn:
            reason = conn.execute(
                "SELECT json_extract(detail, '$.reason') FROM audit_events WHERE type = 'mfa.step_up.required'"
            ).fetchall()
        assert reason == [("role_super_admin",)]


def test_the_account_page_reads_the_mapped_role(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    mfa = MFAConfig(required=False, technician_may_disable=True)
    config = role_config(tmp_path, upstreams, key_file, mfa=mfa, sessions={"max_sessions": 2})
    with admin_bridge(config) as b:
        driver = LoginDriver(b.client)  # this browser keeps bob's first session
        try:
            assert "code" in driver.login(authorize_url(provider_hint="acme"), provider="acme", user="bob").params
        finally:
            driver.close()
        page = b.client.get("/account/mfa")
        assert page.status_code == 200 and "Required for your account" not in page.text and 'id="disable"' in page.text
        token = csrf(page)
        # The mapping arrives with a new policy version and bob's next login (in another browser) records it; the
        # first browser's live session now reads the effective role: MFA is required and cannot be turned off.
        save_mappings(b, SUPER_ADMIN)
        assert "code" in b.login("bob").params
        page = b.client.get("/account/mfa")
        assert page.status_code == 200 and "Required for your account" in page.text and 'id="disable"' not in page.text
        refused = b.client.post("/account/mfa/disable", data={"csrf_token": token, "confirm": "yes"})
        assert refused.status_code == 403 and "cannot be turned off" in alert(refused)


def test_the_mapped_role_decides_the_session_rules(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    sessions = {"roles": {"super_admin": {"max_sessions": 2, "idle_timeout_seconds": 120}}}
    with admin_bridge(role_config(tmp_path, upstreams, key_file, SUPER_ADMIN, sessions=sessions)) as b:
        for _ in range(3):
            assert "code" in b.login("bob").params
            assert "code" in b.login("alice").params
        bob, alice = b.user_id(BOB), b.user_id(ALICE)
        rules = b.call(rules_for_user, bridge_of(b), bob)
        assert (rules.max_sessions, rules.idle_timeout_seconds) == (2, 120)
        assert [s.idle_timeout for s in b.live_sessions(bob)] == [120, 120]  # a mapped super_admin: 2 at once
        assert [s.idle_timeout for s in b.live_sessions(alice)] == [30 * 60]  # a technician: the defaults


def test_group_overage_keeps_the_previous_role(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    with admin_bridge(role_config(tmp_path, upstreams, key_file, SUPER_ADMIN)) as b:
        bridge = bridge_of(b)
        assert "code" in b.login("bob").params
        bob = b.user_id(BOB)
        user = b.call(b.store.get_user, bob)
        overage = Identity(provider_id="acme", issuer=user.issuer, subject=user.subject, groups_overage=True)
        assert b.call(record_mapped_role, bridge, None, bob, overage) == "super_admin"
        assert mapped(b, bob)[0] == "super_admin"
        kind, detail = role_events(b.db)[-1]
        assert kind == "role.mapping_not_reevaluated" and detail["reason"] == "group_overage"
        assert detail["kept"] == "super_admin"
        # With the groups in the token again, the mapping is evaluated in full: no groups, no role.
        plain = Identity(provider_id="acme", issuer=user.issuer, subject=user.subject)
        assert b.call(record_mapped_role, bridge, None, bob, plain) is None
        assert mapped(b, bob)[0] is None
