"""The live-sessions page and ending a session from it (idp_bridge/admin/console/sessions_pages.py)."""

from __future__ import annotations

import re

from tests.admin.console.console_harness import Console

_ROW = re.compile(r'<tr data-session-id="([^"]+)" data-user-id="([^"]+)">')


def test_lists_live_sessions_with_device_provider_and_mfa_evidence(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "admin")
    alice = admin_console.portal_sign_in("carol", provider="globex")  # any second person, through the other provider
    page = bob.get("/admin/sessions")
    assert page.status_code == 200
    rows = _ROW.findall(page.text)
    assert {uid for _, uid in rows} == {bob.user_id, alice.user_id}
    assert "MFA (pwd, mfa)" in page.text  # bob's trusted upstream MFA
    only_globex = bob.get("/admin/sessions", provider_id="globex")
    assert [uid for _, uid in _ROW.findall(only_globex.text)] == [alice.user_id]
    only_bob = bob.get("/admin/sessions", user_id=bob.user_id)
    assert [uid for _, uid in _ROW.findall(only_bob.text)] == [bob.user_id]


def test_ending_a_session_signs_that_browser_out_and_is_audited(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "admin")
    other = admin_console.portal_sign_in("carol", provider="globex")
    (session_id,) = [s.id for s in admin_console.bridge.live_sessions(other.user_id)]
    response = bob.post(f"/admin/sessions/{session_id}/end", {"back": "/admin/sessions"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/sessions?done=session_ended"
    assert admin_console.bridge.live_sessions(other.user_id) == []
    assert "The session was ended" in bob.get("/admin/sessions?done=session_ended").text
    assert other.get("/session").text.count("You are not signed in") == 1  # that browser is signed out
    (event,) = admin_console.bridge.call(admin_console.bridge.store.list_audit, type="session.forced_logout", limit=5)
    assert (event.user_id, event.session_id) == (other.user_id, session_id)
    assert event.detail["actor"] == f"user:{bob.user_id}"


def test_ending_a_session_that_is_gone_says_so(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "admin")
    for session_id in ("no-such-session", "x" * 65):
        response = bob.post(f"/admin/sessions/{session_id}/end", {"back": "/admin/sessions"})
        assert response.headers["location"] == "/admin/sessions?done=session_gone"
    assert len(admin_console.bridge.live_sessions(bob.user_id)) == 1


def test_back_never_leaves_the_console(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "admin")
    response = bob.post("/admin/sessions/nope/end", {"back": "https://evil.example/"})
    assert response.headers["location"] == "/admin/sessions?done=session_gone"


def test_a_forged_notice_cannot_be_shown(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "admin")
    page = bob.get("/admin/sessions", done="Your account was compromised, call +1 555 0100")
    assert page.status_code == 200 and 'id="notice"' not in page.text and "compromised" not in page.text
