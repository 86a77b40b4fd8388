"""Who may do what in the console, over every console form (ending a session; a technician's settings, MFA reset
and recovery codes; the policy forms are tested with the policy pages): plain technicians see nothing, auditors
only read, Admins cannot touch administrators, every change needs a second factor within 10 minutes, and a
form without its genuine token (or from another site) is refused. Each refusal is a 4xx page and an
`admin.rejected` audit event, and changes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pyotp
import pytest

from tests.admin.console.console_harness import Console, ConsoleUser
from tests.admin.console.console_pages import described, followed_notice, refusal
from tests.admin.console.upstream_users import add_upstream_user
from tests.bridge_harness import BRIDGE_ISSUER, other_browser
from tests.mfa.mfa_harness import csrf, secret_of
from tests.store_peek import audit_types, last_audit


@dataclass
class Scene:
    """`me` (dana) in the console, her form token taken while she was a Super Admin (a role change keeps it
    valid); technicians alice and carol signed in to a portal elsewhere. Dana's role is only her local one (no
    upstream groups), so set_role decides it."""

    c: Console
    me: ConsoleUser
    token: str
    alice: str
    alice_session: str
    carol: str
    carol_session: str

    def state(self) -> tuple[Any, ...]:
        """Everything the forms could change."""
        live = [s.id for uid in (self.alice, self.carol) for s in self.c.bridge.live_sessions(uid)]
        return live, described(self.c, self.alice), described(self.c, self.carol)

    def forms(self, target: str, session: str) -> list[tuple[str, dict[str, str]]]:
        """Every console POST route, aimed at `target` (and their session), with a valid change each."""
        return [
            (f"/admin/sessions/{session}/end", {}),
            (f"/admin/technicians/{target}", {"idle_timeout_seconds": "900"}),
            (f"/admin/technicians/{target}/reset-mfa", {}),
            (f"/admin/technicians/{target}/recovery-codes", {}),
        ]

    def reads(self) -> list[str]:
        return ["/admin", "/admin/sessions", "/admin/technicians", f"/admin/technicians/{self.alice}", "/admin/audit",
                "/admin/audit/export"]  # fmt: skip

    def rejections(self) -> int:
        return sum(1 for kind, _ in audit_types(self.c.bridge.db) if kind == "admin.rejected")


@pytest.fixture
def scene(admin_console: Console, upstreams: dict[str, str]) -> Scene:
    c = admin_console
    add_upstream_user(upstreams["acme"], "dana")
    me = c.sign_in("dana", "super_admin")
    token = me.csrf("/admin/sessions")
    sessions = {}
    for user, email in (("alice", "alice@example.com"), ("carol", "carol@contractor.example")):
        assert "code" in c.bridge.login(user).params
        uid = c.bridge.user_id(email)
        sessions[user] = (uid, c.bridge.live_sessions(uid)[0].id)
    return Scene(c, me, token, *sessions["alice"], *sessions["carol"])


def test_a_plain_technician_is_refused_everywhere(scene: Scene) -> None:
    s = scene
    s.c.set_role(s.me.user_id, "technician")
    before, rejected = s.state(), s.rejections()
    gets = [*s.reads(), f"/admin/technicians/{s.alice}/reset-mfa"]
    for path in gets:
        assert refusal(s.me.get(path), 403) == (
            "Not allowed",
            "Your role does not give access to the admin console.",
        ), path
    for path, data in s.forms(s.alice, s.alice_session):
        assert refusal(s.me.post(path, data, csrf=s.token), 403)[0] == "Not allowed", path
    assert s.state() == before
    assert s.rejections() == rejected + len(gets) + 4
    assert last_audit(s.c.bridge.db)[2]["reason"] == "role_forbids"


def test_an_auditor_reads_everything_and_changes_nothing(scene: Scene) -> None:
    s = scene
    s.c.set_role(s.me.user_id, "auditor")
    for path in s.reads():
        assert s.me.get(path).status_code == 200, path
    before, rejected = s.state(), s.rejections()
    for path, data in s.forms(s.alice, s.alice_session):
        assert refusal(s.me.post(path, data, csrf=s.token), 403) == (
            "Not allowed",
            "Your role does not allow this action.",
        ), path
        assert last_audit(s.c.bridge.db)[2]["reason"] == "role_forbids"
    assert s.state() == before and s.rejections() == rejected + 4


def test_an_admin_cannot_reach_super_admin_actions(scene: Scene) -> None:
    s = scene
    s.c.set_role(s.me.user_id, "admin")
    for role in ("admin", "super_admin"):
        s.c.set_role(s.carol, role)
        before, rejected = s.state(), s.rejections()
        for path, data in s.forms(s.carol, s.carol_session):  # acting on an administrator, ending their session
            message = refusal(s.me.post(path, data, csrf=s.token), 403)[1]
            assert message.startswith("Only a Super Admin"), (role, path, message)
        for granted in ("admin", "super_admin"):  # granting an administrator role to a technician
            message = refusal(s.me.post(f"/admin/technicians/{s.alice}", {"role": granted}, csrf=s.token), 403)[1]
            assert message.startswith("Only a Super Admin"), granted
        assert s.state() == before and s.rejections() == rejected + 6
        assert last_audit(s.c.bridge.db)[2]["reason"] == "super_admin_only"

    # A technician is theirs to manage.
    done = s.me.post(f"/admin/technicians/{s.alice}", {"idle_timeout_seconds": "900"}, csrf=s.token)
    assert followed_notice(s.me, done)[1] == "Saved." and described(s.c, s.alice)["idle_timeout_seconds"] == 900
    ended = s.me.post(f"/admin/sessions/{s.alice_session}/end", {"back": f"/admin/technicians/{s.alice}"},
                       csrf=s.token)  # fmt: skip
    assert followed_notice(s.me, ended)[0] == f"/admin/technicians/{s.alice}?done=session_ended"
    assert s.c.bridge.live_sessions(s.alice) == []


def test_every_change_needs_a_second_factor_in_the_last_10_minutes(scene: Scene) -> None:
    s = scene
    s.c.clock.advance(601)
    before, rejected = s.state(), s.rejections()
    for path, data in s.forms(s.alice, s.alice_session):
        response = s.me.post(path, data, csrf=s.token)
        assert refusal(response, 403)[0] == "Verify it is you", path
        assert re.search(r'id="verify-now" href="/admin/step-up\?next=/admin/[^"]*"', response.text), path
        assert last_audit(s.c.bridge.db)[2]["reason"] == "step_up_required"
    assert s.state() == before and s.rejections() == rejected + 4
    assert all(s.me.get(path).status_code == 200 for path in s.reads())  # reading needs no fresh factor


def test_forms_without_their_genuine_token_are_refused(scene: Scene) -> None:
    s = scene
    other_token = s.c.sign_in("bob", "super_admin").csrf("/admin/sessions")
    assert other_token != s.token
    before, rejected = s.state(), s.rejections()
    attempts: list[tuple[str | None, dict[str, str]]] = [
        (None, {}), ("0" * 64, {}), (s.token[:-1] + ("0" if s.token[-1] != "0" else "1"), {}), (other_token, {}),
        (s.token, {"Origin": "https://attacker.example"}), (s.token, {"Origin": "http://127.0.0.1:8998"}),
    ]  # fmt: skip
    for path, data in s.forms(s.alice, s.alice_session):
        for token, headers in attempts:
            forged = {**data, "note": "a form on another site"}  # (an empty body would be a 415 instead)
            title, _ = refusal(s.me.post(path, forged, csrf=token, **headers), 403)
            assert title == "Form expired", (path, token, headers)
            assert last_audit(s.c.bridge.db)[2]["reason"] == "csrf"
    assert s.state() == before and s.rejections() == rejected + 4 * len(attempts)
    # The genuine token from the console's own origin is accepted.
    done = s.me.post(f"/admin/technicians/{s.alice}", {"session_limit": "3"}, csrf=s.token, Origin=BRIDGE_ISSUER)
    assert followed_notice(s.me, done)[1] == "Saved." and described(s.c, s.alice)["session_limit"] == 3


def test_without_a_session_pages_ask_to_sign_in_and_forms_are_refused(scene: Scene) -> None:
    s = scene
    anonymous = ConsoleUser(other_browser(s.c.bridge.client), "")
    for path in [*s.reads(), "/admin/technicians?q=alice"]:
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/admin/sign-in?next={quote(path)}"
    before, rejected = s.state(), s.rejections()
    for path, data in s.forms(s.alice, s.alice_session):
        assert refusal(anonymous.post(path, data, csrf=s.token), 401)[0] == "Signed out", path
        assert last_audit(s.c.bridge.db)[:2] == ("admin.rejected", "denied")
    assert s.state() == before and s.rejections() == rejected + 4


def test_the_step_up_asks_only_for_the_bridges_second_factor(scene: Scene, upstreams: dict[str, str]) -> None:
    s = scene
    s.c.clock.advance(601)
    assert refusal(s.me.post(f"/admin/technicians/{s.alice}", {"session_limit": "2"}, csrf=s.token), 403)
    step_up = s.me.get("/admin/step-up", next="/admin/technicians")
    assert step_up.status_code == 303 and step_up.headers["location"].startswith("/mfa")  # not to the upstream
    assert not step_up.headers["location"].startswith(upstreams["acme"])
    # Dana's upstream MFA is too old now: the bridge's own second factor (she has none yet, so she sets one up).
    page = s.me.get(step_up.headers["location"])
    assert page.status_code == 200 and "Set up two-factor authentication" in page.text
    secret, token = secret_of(page), csrf(page)
    code = pyotp.TOTP(secret).at(s.c.clock.now())
    assert s.me.browser.post("/mfa/enroll", data={"csrf_token": token, "code": code}).status_code == 200
    done = s.me.browser.post("/mfa/complete", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/technicians"
    assert ("mfa.step_up.required", "success") in audit_types(s.c.bridge.db)

    # The same session, a fresh second factor: the change goes through (with a new form token: the session
    # token was rotated by the step-up).
    assert [x.id for x in s.c.bridge.live_sessions(s.me.user_id)] != []
    fresh = s.me.csrf("/admin/sessions")
    assert fresh != s.token
    saved = s.me.post(f"/admin/technicians/{s.alice}", {"session_limit": "2"}, csrf=fresh)
    assert followed_notice(s.me, saved)[1] == "Saved." and described(s.c, s.alice)["session_limit"] == 2
