"""The console's overview page (idp_bridge/admin/console/dashboard.py): role, change window, emergency-access check."""

from __future__ import annotations

import re

from tests.admin.console.console_harness import Console


def _enroll_totp(console: Console, user_id: str) -> None:
    store = console.bridge.store
    console.bridge.call(store.begin_totp_enrollment, user_id, "sealed-secret", console.clock.now())
    assert console.bridge.call(store.confirm_totp_enrollment, user_id, "sealed-secret", 1, console.clock.now())


def test_emergency_access_warning_until_two_super_admins_have_mfa(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "super_admin")
    page = bob.get("/admin")
    assert 'id="emergency-warning"' in page.text and "only 0 Super Admin(s) have MFA enrolled" in page.text
    _enroll_totp(admin_console, bob.user_id)
    carol = admin_console.portal_sign_in("carol")
    admin_console.set_role(carol.user_id, "super_admin")
    assert "only 1 Super Admin(s) have MFA enrolled (2 Super Admin(s) in all)" in bob.get("/admin").text
    _enroll_totp(admin_console, carol.user_id)
    page = bob.get("/admin")
    assert 'id="emergency-warning"' not in page.text and 'id="emergency-ok"' in page.text


def test_overview_shows_the_role_and_the_change_window(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "auditor")
    page = bob.get("/admin")
    assert 'id="viewer-role">auditor<' in page.text and "Your role can view, not change." in page.text
    assert 'href="/admin/tokens"' not in page.text and 'href="/admin/audit"' in page.text
    admin_console.set_role(bob.user_id, "admin")
    page = bob.get("/admin")
    assert re.search(r"changes allowed for another (9|10) min", page.text)  # the upstream stamps real time
    assert 'href="/admin/tokens"' not in page.text
    admin_console.clock.advance(601)
    assert 'id="step-up-link"' in bob.get("/admin").text


def test_plain_technicians_get_no_console(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob")  # no role given: technician
    page = bob.get("/admin")
    assert page.status_code == 403 and "does not give access to the admin console" in page.text
    events = admin_console.bridge.call(admin_console.bridge.store.list_audit, type="admin.rejected", limit=5)
    assert [(e.user_id, e.detail["reason"]) for e in events] == [(bob.user_id, "role_forbids")]
