"""The console's policy pages: preview (diff, who loses access), save, versions, rollback; and every refusal
(role, step-up, CSRF, stale version, invalid policy) as a 4xx page with nothing saved and an audit event."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from idp_bridge.config.model import Config
from tests.admin.console.console_harness import Console, console
from tests.admin.console.policy.policy_forms import (
    PREVIEW,
    ROLLBACK,
    SAVE,
    confirmation,
    editor,
    form_fields,
    problems,
    rejections,
    submit,
    versions,
)
from tests.bridge_harness import error_page_text, make_config


def test_super_admin_previews_saves_and_rolls_back(admin_console: Console) -> None:
    b = admin_console.bridge
    assert b.login("alice@example.com", provider="globex").final_url is not None
    alice = b.user_id("alice@example.com")
    bob = admin_console.sign_in("bob", "super_admin")

    fields = editor(bob)
    assert fields["allow.acme"] == fields["allow.globex"] == "on"
    del fields["allow.globex"]
    fields["comment"] = "globex retired"
    preview = submit(bob, PREVIEW, fields)
    assert preview.status_code == 200, preview.text[:2000]
    assert '<span class="del">-    &#34;globex&#34;\n</span>' in preview.text
    sid = b.live_sessions(alice)[0].id
    row = f'<tr data-session-id="{sid}" data-user-id="{alice}" data-reason="provider_not_allowed">'
    assert row in preview.text and '<td class="why">provider no longer allowed</td>' in preview.text
    assert f'data-user-id="{alice}" data-portal="console"' in preview.text  # alice could no longer sign in there
    assert "Save as version 2" in preview.text and 'id="own-session-warning"' not in preview.text
    assert versions(b.db) == [] and len(b.live_sessions(alice)) == 1  # a dry run changes nothing

    confirm = form_fields(preview, "save-form")
    assert confirm["comment"] == "globex retired" and confirm["base_version"] == "1"
    saved = submit(bob, SAVE, confirm)
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/policy/versions/2?done=policy_saved"
    shown = bob.get("/admin/policy/versions/2", done="policy_saved")
    assert 'id="notice"' in shown.text and f"user:{bob.user_id}" in shown.text and "globex retired" in shown.text
    assert versions(b.db) == [(1, "config-file", "initial policy from the config file", None),
                              (2, f"user:{bob.user_id}", "globex retired", None)]  # fmt: skip
    # Applies at once: alice's globex session ended, and a new globex login is refused.
    assert b.live_sessions(alice) == []
    refused = b.login("alice@example.com", provider="globex")
    assert refused.page is not None and refused.page.status_code == 403
    assert error_page_text(refused.page)[0] == "Sign-in not allowed"
    assert "allow.globex" not in editor(bob)

    # Rollback: the version page shows what it would restore, then the form saves version 1 again as version 3.
    old = bob.get("/admin/policy/versions/1")
    assert old.status_code == 200 and '<span class="add">+    &#34;globex&#34;\n</span>' in old.text
    back = form_fields(old, "rollback-form")
    assert back["version"] == "1"
    rolled = submit(bob, ROLLBACK, back | {"comment": "globex is back"})
    assert rolled.status_code == 303
    assert rolled.headers["location"] == "/admin/policy/versions/3?done=policy_rolled_back"
    assert versions(b.db)[-1] == (3, f"user:{bob.user_id}", "globex is back", 1)
    listing = bob.get("/admin/policy/versions")
    assert '<tr data-version="3">' in listing.text and 'href="/admin/policy/versions/1">version 1</a>' in listing.text
    assert b.login("alice@example.com", provider="globex").final_url is not None
    assert editor(bob)["allow.globex"] == "on"
    assert rejections(b.db) == []


def test_portal_narrowing_and_an_unchanged_form(admin_console: Console) -> None:
    b = admin_console.bridge
    assert b.login("alice@example.com", provider="globex").final_url is not None
    alice = b.user_id("alice@example.com")
    bob = admin_console.sign_in("bob", "super_admin")
    fields = editor(bob)
    assert fields["portal.0"] == fields["portal.1"] == "inherit"
    assert "\r\n" in fields["rules"]  # a multi-line text area, sent as a browser sends it

    same = submit(bob, PREVIEW, fields)  # the form as shown: nothing to save
    assert same.status_code == 200 and 'id="no-changes"' in same.text and 'id="save-form"' not in same.text

    spa = next(i for i in ("0", "1") if f'id="portal-{i}" data-portal="spa"' in bob.get("/admin/policy").text)
    narrowed = submit(bob, PREVIEW, fields | {f"portal.{spa}": "custom", f"portal.{spa}.acme": "on", "comment": "c"})
    assert narrowed.status_code == 200, narrowed.text[:2000]
    assert '<span class="add">+        &#34;acme&#34;\n</span>' in narrowed.text
    assert f'data-user-id="{alice}" data-portal="spa"' in narrowed.text
    assert f'data-user-id="{alice}" data-portal="console"' not in narrowed.text
    assert 'id="lost-sessions"' not in narrowed.text  # globex stays allowed globally: no session ends
    assert submit(bob, SAVE, form_fields(narrowed, "save-form")).status_code == 303
    assert editor(bob)[f"portal.{spa}"] == "custom"
    assert len(b.live_sessions(alice)) == 1


def test_preview_says_why_sessions_end_under_a_narrowed_identity_rule(admin_console: Console) -> None:
    b = admin_console.bridge
    assert b.login("alice@example.com", provider="globex").final_url is not None  # alice has no upstream groups
    alice = b.user_id("alice@example.com")
    bob = admin_console.sign_in("bob", "super_admin")
    fields = editor(bob)
    rules = json.loads(fields["rules"])
    rules["identity_rules"]["globex"] = {"groups": ["office"]}
    preview = submit(bob, PREVIEW, fields | {"rules": json.dumps(rules), "comment": "office staff only"})
    assert preview.status_code == 200, preview.text[:2000]
    sid = b.live_sessions(alice)[0].id
    assert f'<tr data-session-id="{sid}" data-user-id="{alice}" data-reason="group_not_allowed">' in preview.text
    assert '<td class="why">not in an allowed group</td>' in preview.text
    assert 'id="own-session-warning"' not in preview.text  # bob signed in through acme, which has no rule
    assert submit(bob, SAVE, form_fields(preview, "save-form")).status_code == 303
    assert b.live_sessions(alice) == []
    assert bob.get("/admin/policy").status_code == 200


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admin_and_auditor_read_but_cannot_change(admin_console: Console, role: str) -> None:
    b = admin_console.bridge
    user = admin_console.sign_in("bob", "super_admin")
    fields = editor(user)  # a genuine form and CSRF token of this session, from before the role changed
    del fields["allow.globex"]
    confirm = confirmation(user, fields, "x")
    admin_console.set_role(user.user_id, role)

    page = user.get("/admin/policy")
    assert page.status_code == 200 and 'id="read-only"' in page.text and "only a Super Admin" in page.text
    assert 'id="preview"' not in page.text and "<fieldset disabled" in page.text
    assert re.search(r'id="allow-globex"[^>]*checked', page.text)  # the current settings are shown
    version = user.get("/admin/policy/versions/1")
    assert version.status_code == 200 and 'id="document"' in version.text and 'id="rollback-form"' not in version.text
    rollback = {"version": "1", "csrf_token": confirm["csrf_token"]}
    for path, data in [(PREVIEW, fields), (SAVE, confirm), (ROLLBACK, rollback)]:
        refused = submit(user, path, data)
        assert refused.status_code == 403 and 'id="error-title">Not allowed' in refused.text, refused.text[:500]
    assert versions(b.db) == []
    assert [r for r, _ in rejections(b.db)] == ["role_forbids"] * 3


def test_a_change_needs_a_second_factor_in_the_last_ten_minutes(admin_console: Console) -> None:
    b = admin_console.bridge
    bob = admin_console.sign_in("bob", "super_admin")
    fields = editor(bob)
    del fields["allow.globex"]
    confirm = confirmation(bob, fields, "late")
    admin_console.clock.advance(601)
    rollback = {"version": "1", "csrf_token": confirm["csrf_token"]}
    for path, data in [(SAVE, confirm), (PREVIEW, fields), (ROLLBACK, rollback)]:
        refused = submit(bob, path, data)
        assert refused.status_code == 403, refused.text[:500]
        assert 'id="verify-now" href="/admin/step-up?next=/admin/policy' in refused.text
        # (the header's link too returns to a page, never to the POST-only address of the form)
        assert re.search(r'href="/admin/step-up\?next=/admin/policy(/versions)?" id="step-up-link"', refused.text)
    page = bob.get("/admin/policy")  # reading needs no recent second factor
    assert page.status_code == 200 and 'id="step-up-link"' in page.text
    assert versions(b.db) == []
    assert [r for r, _ in rejections(b.db)] == ["step_up_required"] * 3


def test_forms_without_a_genuine_csrf_token_or_from_another_site_are_refused(admin_console: Console) -> None:
    b = admin_console.bridge
    bob = admin_console.sign_in("bob", "super_admin")
    fields = editor(bob)
    del fields["allow.globex"]
    confirm = confirmation(bob, fields, "csrf")
    without = {k: v for k, v in confirm.items() if k != "csrf_token"}
    for data, headers in [
        (without, {}),
        (confirm | {"csrf_token": "0" * 64}, {}),
        (confirm, {"Origin": "https://evil.example"}),
    ]:
        refused = submit(bob, SAVE, data, **headers)
        assert refused.status_code == 403 and 'id="error-title">Form expired' in refused.text
    assert submit(bob, ROLLBACK, {"version": "1"}).status_code == 403
    assert versions(b.db) == []
    assert rejections(b.db) == [("csrf", SAVE)] * 3 + [("csrf", ROLLBACK)]


def test_a_stale_base_version_is_a_conflict(admin_console: Console) -> None:
    b = admin_console.bridge
    bob = admin_console.sign_in("bob", "super_admin")
    fields = editor(bob)  # bob starts from version 1 ...
    del fields["allow.globex"]
    confirm = confirmation(bob, fields, "b")
    # ... while someone else saves version 2 (here through the API)
    other = {"policy": {"allowed_providers": ["acme", "globex"], "portals": {"spa": {"allowed_providers": ["acme"]}}},
             "comment": "other"}  # fmt: skip
    assert b.api("PUT", "/policy", b.token("policy:write"), json=other).status_code == 200

    for path, data in [(SAVE, confirm), (PREVIEW, fields)]:
        conflict = submit(bob, path, data)
        assert conflict.status_code == 409, conflict.text[:500]
        assert "someone else saved version 2 meanwhile" in conflict.text and 'href="/admin/policy"' in conflict.text
    assert [v[0] for v in versions(b.db)] == [1, 2]
    rebased = editor(bob)
    assert rebased["base_version"] == "2"
    same = submit(bob, PREVIEW, rebased)
    assert same.status_code == 200 and 'id="no-changes"' in same.text
    # A confirmation whose document is what is saved already (e.g. a second tab): nothing to save.
    confirm = confirmation(bob, rebased | {"portal.1": "inherit"}, "x")
    unchanged = submit(bob, SAVE, confirm | {"document": json.dumps(other["policy"])})
    assert unchanged.status_code == 409 and "Nothing to save" in unchanged.text
    assert [r for r, _ in rejections(b.db)] == ["conflict", "conflict", "unchanged"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"rules": "{nope"}, "rules: not valid JSON at line 1 column 2"),
        ({"allow.okta": "on"}, "policy.allowed_providers: unknown provider (got &#39;okta&#39;)"),
        ({"allow.acme": None, "allow.globex": None}, "policy.allowed_providers: must name at least one provider"),
        ({"allow.globex": None, "portal.0": "custom", "portal.0.globex": "on"}, "not in policy.allowed_providers"),
        ({"rules": '{"role_mappings": [{"provider": "okta", "group": "g", "role": "admin"}]}'},
         "role_mappings[0].provider: unknown provider (got &#39;okta&#39;)"),
        ({"rules": '{"allowed_providers": ["acme"]}'}, "rules.allowed_providers: not editable here"),
        ({"rules": "[]"}, "rules: must be a JSON object"),
        ({"rules": "[" * 5_000}, "rules: nested more than 64 levels deep"),
        ({"rules": '{"identity_rules": ' + "[" * 5_000}, "rules: nested more than 64 levels deep"),
        ({"portal.1": "sometimes"}, "portal.1: must be &#39;inherit&#39; or &#39;custom&#39;"),
        ({"portal.7": "custom"}, "portal.7: not a field of the policy editor"),
        ({"layout": "0" * 16}, "The configuration of providers and portals changed"),
    ],
)  # fmt: skip
def test_an_invalid_proposal_lists_its_problems_and_saves_nothing(
    admin_console: Console, change: dict[str, str | None], needle: str
) -> None:
    b = admin_console.bridge
    bob = admin_console.sign_in("bob", "super_admin")
    fields = editor(bob)
    for name, value in change.items():
        if value is None:
            fields.pop(name)
        else:
            fields[name] = value
    refused = submit(bob, PREVIEW, fields)
    assert refused.status_code == 422, refused.text[:500]
    assert needle in problems(refused)
    assert 'id="policy-editor"' in refused.text and 'id="save-form"' not in refused.text  # the editor, to fix it
    assert versions(b.db) == []
    assert [r for r, _ in rejections(b.db)] == ["invalid_policy"]


def test_bad_saves_and_rollbacks_are_refused_with_a_readable_page(admin_console: Console) -> None:
    b = admin_console.bridge
    bob = admin_console.sign_in("bob", "super_admin")
    fields = editor(bob)
    del fields["allow.globex"]
    confirm = confirmation(bob, fields, "c")
    token = confirm["csrf_token"]
    okta = json.dumps({"allowed_providers": ["okta"]})
    for path, data, status, needle in [
        (SAVE, confirm | {"document": "{"}, 400, "not a policy document in JSON"),
        (SAVE, confirm | {"document": "[" * 5_000}, 400, "not a policy document in JSON"),
        (SAVE, confirm | {"document": okta}, 422, "policy.allowed_providers: unknown provider"),
        (SAVE, confirm | {"comment": "  "}, 422, "comment: say why"),
        (SAVE, confirm | {"base_version": "x"}, 400, "base_version: must be a version number"),
        (SAVE, confirm | {"comment": "line\nbreak"}, 400, "contains control characters"),
        (ROLLBACK, {"csrf_token": token, "version": "99"}, 404, "There is no policy version 99"),
        (ROLLBACK, {"csrf_token": token, "version": "1"}, 409, "is the same as the current policy"),
        (ROLLBACK, {"csrf_token": token, "version": "1", "comment": "x" * 501}, 422, "at most 500 characters"),
    ]:
        refused = submit(bob, path, data)
        assert refused.status_code == status and needle in refused.text, (needle, refused.text[:1500])
        assert 'id="error-title"' in refused.text
    assert bob.get("/admin/policy/versions/99").status_code == 404
    assert bob.get("/admin/policy/versions/abc").status_code == 404
    assert bob.get("/admin/policy/versions/0").status_code == 404
    assert versions(b.db) == []
    assert len(rejections(b.db)) == 12


def test_allowing_a_provider_that_was_not_allowed(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    config: Config = make_config(tmp_path, upstreams, key_file=key_file, allowed=("acme",))
    with console(config) as c:
        bob = c.sign_in("bob", "super_admin")
        fields = editor(bob)
        assert "allow.globex" not in fields and 'id="allow-globex"' in bob.get("/admin/policy").text
        preview = submit(bob, PREVIEW, fields | {"allow.globex": "on", "comment": "globex joins"})
        assert '<span class="add">+    &#34;globex&#34;\n</span>' in preview.text and 'id="no-loss"' in preview.text
        assert submit(bob, SAVE, form_fields(preview, "save-form")).status_code == 303
        assert c.bridge.login("alice@example.com", provider="globex").final_url is not None


def test_a_technician_reaches_no_policy_page(admin_console: Console) -> None:
    b = admin_console.bridge
    user = admin_console.sign_in("bob", "super_admin")
    fields = editor(user)
    del fields["allow.globex"]
    admin_console.set_role(user.user_id, "technician")
    for response in [user.get("/admin/policy"), user.get("/admin/policy/versions/1"), submit(user, PREVIEW, fields)]:
        assert response.status_code == 403 and "does not give access to the admin console" in response.text
    assert versions(b.db) == [] and [r for r, _ in rejections(b.db)] == ["role_forbids"] * 3


def test_rules_round_trip_through_the_text_area_unchanged(admin_console: Console) -> None:
    b = admin_console.bridge
    policy = {
        "allowed_providers": ["globex", "acme"],  # (not in config order: the editor keeps the saved order)
        "identity_rules": {"acme": {"groups": ["staff"]}},
        "portals": {"spa": {"allowed_providers": ["acme"], "identity_rules": {"acme": {"groups": ["spa-users"]}}}},
        "role_mappings": [{"provider": "acme", "group": "it-admins", "role": "admin"}],
    }
    # (through globex: acme's rule below refuses his account, so a save would end an acme session of his at once)
    bob = admin_console.sign_in("bob", "super_admin", provider="globex")
    assert b.api("PUT", "/policy", b.token("policy:write"), json={"policy": policy, "comment": "c"}).status_code == 200
    fields = editor(bob)
    rules = json.loads(fields["rules"])
    assert rules["portals"] == {"spa": {"identity_rules": {"acme": {"groups": ["spa-users"]}}}}
    assert rules["role_mappings"] == [{"provider": "acme", "group": "it-admins", "role": "admin"}]
    same = submit(bob, PREVIEW, fields)
    assert same.status_code == 200 and 'id="no-changes"' in same.text, same.text[:2000]
    rules["identity_rules"]["acme"]["groups"].append("contractors")
    changed = submit(bob, PREVIEW, fields | {"rules": json.dumps(rules, indent=2), "comment": "contractors too"})
    assert '<span class="add">+        &#34;contractors&#34;\n</span>' in changed.text, changed.text[:3000]
