"""The console's technician pages: search, one technician's page, settings, MFA reset and recovery codes, and the
422 page for invalid settings (nothing changed). Real upstream processes; the technician is signed in to a
portal in a browser of their own, so "signed out everywhere" is seen from their side too."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from starlette.testclient import TestClient

from idp_bridge.admin.console.technicians import pages as technician_pages
from idp_bridge.mfa import recovery_codes
from idp_bridge.mfa.factors import Verdict, check_recovery_code
from tests.admin.console.console_harness import Console, ConsoleUser, console
from tests.admin.console.console_pages import described, followed_notice, problems, refusal, row_ids
from tests.admin.console.upstream_users import add_upstream_user
from tests.bridge_harness import LoginDriver, authorize_url, other_browser
from tests.mfa.mfa_harness import audit_detail, csrf, mfa_config, recovery_codes_of, secret_of
from tests.store_peek import last_audit

_CODES = re.compile(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></li>")


@pytest.fixture
def mfa_console(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> Iterator[Console]:
    """A console on a bridge that requires MFA: technicians enroll an authenticator at their first sign-in."""
    with console(mfa_config(tmp_path, upstreams, key_file)) as c:
        yield c


@dataclass
class Technician:
    """A technician signed in to a portal in a browser of their own."""

    browser: TestClient
    user_id: str
    recovery_codes: list[str]

    def signed_out_because(self, reason: str) -> bool:
        """Their browser's next visit says it was signed out, and why."""
        page = self.browser.get(authorize_url(), follow_redirects=False)
        return page.status_code == 401 and f'data-reason="{reason}"' in page.text


def portal_sign_in(c: Console, user: str, email: str | None = None, *, enroll: bool = False) -> Technician:
    browser = other_browser(c.bridge.client)
    driver = LoginDriver(browser)
    codes: list[str] = []
    try:
        result = driver.login(authorize_url(provider_hint="acme"), provider="acme", user=user)
        if enroll:
            assert result.page is not None and "Set up two-factor authentication" in result.page.text, result.steps
            secret, token = secret_of(result.page), csrf(result.page)
            code = pyotp.TOTP(secret).at(c.clock.now())
            codes = recovery_codes_of(browser.post("/mfa/enroll", data={"csrf_token": token, "code": code}))
            done = browser.post("/mfa/complete", data={"csrf_token": token}, follow_redirects=False)
            result = driver.login(done.headers["location"])
        assert "code" in result.params, (result.steps, result.page.text[:500] if result.page else None)
    finally:
        driver.close()
    return Technician(browser, c.bridge.user_id(email or f"{user}@example.com"), codes)


def settings_form(t: dict[str, Any], **changes: str) -> dict[str, str]:
    """The settings form as the page shows it for `t` (a Super Admin's view), with `changes`."""
    form = {
        "role": t["role"], "mfa_method": t["mfa"]["method"] or "", "enforced": "yes" if t["mfa"]["enforced"] else "no",
        "idle_timeout_seconds": str(t["idle_timeout_seconds"] or ""), "session_limit": str(t["session_limit"] or ""),
        "disabled": "yes" if t["disabled"] else "no",
    }  # fmt: skip
    return form | changes


def save(admin: ConsoleUser, user_id: str, form: dict[str, str]) -> Any:
    return admin.post(f"/admin/technicians/{user_id}", form, csrf=admin.csrf(f"/admin/technicians/{user_id}"))


def test_search_lists_technicians_with_their_mfa_state(admin_console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    c = admin_console
    bob = c.sign_in("bob", "super_admin")
    alice = portal_sign_in(c, "alice")
    carol = portal_sign_in(c, "carol", "carol@contractor.example")

    found = bob.get("/admin/technicians", q="ALICE@example")
    assert row_ids(found, "technicians", "data-user-id") == [alice.user_id]
    assert re.search(r"<td>technician</td>\s*<td>default \(totp\)</td>\s*<td>no</td>\s*<td>none</td>\s*<td>0</td>"
                     r"\s*<td>active</td>", found.text), found.text  # fmt: skip
    assert row_ids(bob.get("/admin/technicians", q="Contractor"), "technicians", "data-user-id") == [carol.user_id]
    assert row_ids(bob.get("/admin/technicians", q=alice.user_id[3:12]), "technicians", "data-user-id") == [
        alice.user_id
    ]
    assert 'id="no-technicians"' in bob.get("/admin/technicians", q="nobody-here").text
    everyone = row_ids(bob.get("/admin/technicians"), "technicians", "data-user-id")
    assert set(everyone) == {alice.user_id, bob.user_id, carol.user_id}

    monkeypatch.setattr(technician_pages, "PAGE_SIZE", 2)  # paging, without creating 50 people
    first = bob.get("/admin/technicians")
    assert row_ids(first, "technicians", "data-user-id") == everyone[:2] and 'id="next-page"' in first.text
    second = bob.get("/admin/technicians", offset="2")
    assert row_ids(second, "technicians", "data-user-id") == everyone[2:]
    assert 'id="next-page"' not in second.text and 'id="previous-page"' in second.text

    for bad in ({"offset": "-1"}, {"offset": "many"}, {"q": "x" * 201}):
        title, message = refusal(bob.get("/admin/technicians", **bad), 400)
        assert title == "Invalid filter" and next(iter(bad)) in message
        assert last_audit(c.bridge.db)[:2] == ("admin.rejected", "failure")


def test_technician_page_shows_sessions_events_and_the_forms_the_viewer_may_use(
    admin_console: Console, upstreams: dict[str, str]
) -> None:
    c = admin_console
    add_upstream_user(upstreams["acme"], "dana")  # her role is only the local one set_role changes
    dana = c.sign_in("dana", "super_admin")
    alice = portal_sign_in(c, "alice")
    page = dana.get(f"/admin/technicians/{alice.user_id}")
    assert page.status_code == 200 and "alice@example.com" in page.text
    assert [s.id for s in c.bridge.live_sessions(alice.user_id)] == row_ids(page, "sessions", "data-session-id")
    assert f'value="/admin/technicians/{alice.user_id}"' in page.text  # ending a session returns here
    assert "login.success" in row_ids(page, "audit-events", "data-type")
    assert f'href="/admin/audit?user_id={alice.user_id}"' in page.text
    assert 'id="settings-form"' in page.text and 'id="role"' in page.text and 'id="reset-mfa"' in page.text

    c.set_role(dana.user_id, "admin")  # no role select for an Admin; no forms at all on an Admin's page
    assert 'id="settings-form"' in dana.get(f"/admin/technicians/{alice.user_id}").text
    assert 'id="role"' not in dana.get(f"/admin/technicians/{alice.user_id}").text
    c.set_role(alice.user_id, "admin")
    on_admin = dana.get(f"/admin/technicians/{alice.user_id}")
    assert 'id="settings-form"' not in on_admin.text and 'id="super-admin-only"' in on_admin.text
    assert "End session" not in on_admin.text
    c.set_role(dana.user_id, "auditor")
    read_only = dana.get(f"/admin/technicians/{c.bridge.user_id('dana@example.com')}")
    assert read_only.status_code == 200 and '<form method="post"' not in read_only.text

    title, message = refusal(dana.get("/admin/technicians/no-such-person"), 404)
    assert title == "Technician not found" and "no-such-person" in message


def test_changing_mfa_method_and_enforcement_signs_the_technician_out(admin_console: Console) -> None:
    c = admin_console
    bob = c.sign_in("bob", "super_admin")
    alice = portal_sign_in(c, "alice")
    assert c.bridge.live_sessions(alice.user_id)

    done = save(bob, alice.user_id, settings_form(described(c, alice.user_id), mfa_method="email"))
    assert followed_notice(bob, done) == (f"/admin/technicians/{alice.user_id}?done=technician_signed_out",
                                          "Saved. The change touched MFA or the account: the technician was signed "
                                          "out everywhere.")  # fmt: skip
    assert c.bridge.live_sessions(alice.user_id) == [] and alice.signed_out_because("mfa_changed")
    assert described(c, alice.user_id)["mfa"]["method"] == "email"
    update = audit_detail(c.bridge.db, "admin.technician.updated")
    assert (update["changed"], update["actor"]) == (["method"], f"user:{bob.user_id}")

    # Saving the form again as shown changes nothing and signs nobody out.
    alice = portal_sign_in(c, "alice")
    again = save(bob, alice.user_id, settings_form(described(c, alice.user_id)))
    assert followed_notice(bob, again)[1] == "Nothing to save: the form matched the current settings."
    assert c.bridge.live_sessions(alice.user_id)

    enforced = save(bob, alice.user_id, settings_form(described(c, alice.user_id), enforced="yes"))
    assert followed_notice(bob, enforced)[0].endswith("done=technician_signed_out")
    assert c.bridge.live_sessions(alice.user_id) == [] and described(c, alice.user_id)["mfa"]["enforced"] is True


def test_limits_and_disabling(admin_console: Console) -> None:
    c = admin_console
    bob = c.sign_in("bob", "super_admin")
    alice = portal_sign_in(c, "alice")
    limits = save(bob, alice.user_id, settings_form(described(c, alice.user_id), idle_timeout_seconds="900",
                                                    session_limit="2"))  # fmt: skip
    assert followed_notice(bob, limits)[1] == "Saved."
    now = described(c, alice.user_id)
    assert (now["idle_timeout_seconds"], now["session_limit"]) == (900, 2)
    assert c.bridge.live_sessions(alice.user_id)  # limits apply to the next sessions: nobody signed out
    page = bob.get(f"/admin/technicians/{alice.user_id}").text
    assert 'value="900"' in page and "900 s (15 min)" in page

    cleared = save(bob, alice.user_id, settings_form(now, idle_timeout_seconds="", session_limit=""))
    assert followed_notice(bob, cleared)[1] == "Saved."
    now = described(c, alice.user_id)
    assert (now["idle_timeout_seconds"], now["session_limit"]) == (None, None)

    disabled = save(bob, alice.user_id, settings_form(described(c, alice.user_id), disabled="yes"))
    assert followed_notice(bob, disabled)[0].endswith("done=technician_signed_out")
    assert c.bridge.live_sessions(alice.user_id) == [] and described(c, alice.user_id)["disabled"] is True
    refused = c.bridge.login("alice")
    assert refused.page is not None and refused.page.status_code == 403
    enabled = save(bob, alice.user_id, settings_form(described(c, alice.user_id), disabled="no"))
    assert followed_notice(bob, enabled)[1] == "Saved."
    assert "code" in c.bridge.login("alice").params


def test_invalid_settings_are_listed_and_nothing_changes(admin_console: Console) -> None:
    c = admin_console
    bob = c.sign_in("bob", "super_admin")
    alice = portal_sign_in(c, "alice")
    before = described(c, alice.user_id)
    bad = save(bob, alice.user_id, settings_form(before, idle_timeout_seconds="-5", mfa_method="fax",
                                                 session_limit="0", enforced="maybe"))  # fmt: skip
    assert refusal(bad, 422) == ("Invalid settings", "Nothing was changed. Correct the following and save again.")
    listed = problems(bad)
    assert len(listed) == 4, listed
    for field, value in (("mfa_method", "'fax'"), ("enforced", "'maybe'"), ("idle_timeout_seconds", "'-5'"),
                         ("session_limit", "'0'")):  # fmt: skip
        assert any(f"({field})" in p and value in p for p in listed), (field, listed)
    assert described(c, alice.user_id) == before and c.bridge.live_sessions(alice.user_id)
    kind, outcome, detail = last_audit(c.bridge.db)
    assert (kind, outcome, detail["reason"]) == ("admin.rejected", "failure", "invalid_form")
    assert len(detail["problems"]) == 4

    words = save(bob, alice.user_id, settings_form(before, idle_timeout_seconds="ten minutes", role="root"))
    assert len(problems(words)) == 2 and described(c, alice.user_id) == before
    token = bob.csrf(f"/admin/technicians/{alice.user_id}")
    assert refusal(bob.post("/admin/technicians/nobody", settings_form(before), csrf=token), 404)[0] == (
        "Technician not found"
    )


def test_reset_mfa_signs_out_and_forgets_the_authenticator(mfa_console: Console) -> None:
    c = mfa_console
    bob = c.sign_in("bob", "super_admin")
    alice = portal_sign_in(c, "alice", enroll=True)
    assert described(c, alice.user_id)["mfa"]["authenticator"] is True
    confirm = bob.get(f"/admin/technicians/{alice.user_id}/reset-mfa")
    assert confirm.status_code == 200 and "signs them out" in confirm.text and "1 live session" in confirm.text
    assert c.bridge.live_sessions(alice.user_id)  # asking changes nothing

    done = bob.post(f"/admin/technicians/{alice.user_id}/reset-mfa", {},
                    csrf=bob.csrf(f"/admin/technicians/{alice.user_id}/reset-mfa"))  # fmt: skip
    location, notice = followed_notice(bob, done)
    assert location == f"/admin/technicians/{alice.user_id}?done=mfa_reset" and notice.startswith("MFA was reset")
    assert c.bridge.live_sessions(alice.user_id) == [] and alice.signed_out_because("mfa_reset")
    after = described(c, alice.user_id)["mfa"]
    assert (after["authenticator"], after["recovery_codes_left"]) == (False, 0)
    assert c.bridge.call(c.bridge.store.get_totp, alice.user_id) is None
    assert 'id="no-sessions"' in bob.get(f"/admin/technicians/{alice.user_id}").text
    # The next sign-in asks her to set up an authenticator again.
    again = c.bridge.login("alice")
    assert again.page is not None and "Set up two-factor authentication" in again.page.text


def test_regenerated_recovery_codes_are_shown_once_and_replace_the_old_ones(mfa_console: Console) -> None:
    c = mfa_console
    bob = c.sign_in("bob", "super_admin")
    alice = portal_sign_in(c, "alice", enroll=True)
    assert len(alice.recovery_codes) >= 8

    page = bob.post(f"/admin/technicians/{alice.user_id}/recovery-codes", {},
                    csrf=bob.csrf(f"/admin/technicians/{alice.user_id}"))  # fmt: skip
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    codes = _CODES.findall(page.text)
    assert len(codes) == len(set(codes)) >= 8 and not set(codes) & set(alice.recovery_codes)
    assert described(c, alice.user_id)["mfa"]["recovery_codes_left"] == len(codes)
    assert c.bridge.live_sessions(alice.user_id) == [] and alice.signed_out_because("mfa_changed")
    # Shown once: the technician's page (and the audit log) never show them again.
    assert not any(code in bob.get(f"/admin/technicians/{alice.user_id}").text for code in codes)
    with sqlite3.connect(c.bridge.db) as db:
        audit = " ".join(str(row) for row in db.execute("SELECT * FROM audit_events"))
    assert "admin.technician.recovery_codes" in audit and not any(code in audit for code in codes)

    app_bridge = c.bridge.client.app.state.bridge  # type: ignore[attr-defined]
    mfa = c.bridge.client.app.state.mfa  # type: ignore[attr-defined]
    now = c.clock.now()

    def check(code: str) -> Verdict:
        typed = recovery_codes.normalize(code) or ""
        return c.bridge.call(check_recovery_code, mfa, app_bridge.store, alice.user_id, typed, now).verdict

    assert check(alice.recovery_codes[0]) is Verdict.WRONG
    assert check(codes[0]) is Verdict.OK and check(codes[0]) is Verdict.REPLAYED  # each one works once
    assert described(c, alice.user_id)["mfa"]["recovery_codes_left"] == len(codes) - 1
