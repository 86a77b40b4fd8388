"""Signing in to the admin console through the bridge itself, and the step-up (idp_bridge/admin/console/sign_in.py)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from idp_bridge.admin.console.handler import local_path
from idp_bridge.config.model import Config
from idp_bridge.config.session_model import AdminConsoleConfig
from tests.admin.console.console_harness import Console, console
from tests.bridge_harness import (
    BRIDGE_ISSUER,
    LoginDriver,
    authorize_url,
    error_page_text,
    make_config,
    other_browser,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/admin/sessions?user_id=x", "/admin/sessions?user_id=x"),
        ("/admin", "/admin"),
        ("/administrator", "/admin"),
        ("https://evil.example/admin", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/admin\\@evil.example", "/admin"),
        ("/admin/\nx", "/admin"),
        ("/session", "/admin"),
        ("", "/admin"),
        (None, "/admin"),
        ("/admin/" + "x" * 1000, "/admin"),
    ],
)
def test_only_console_paths_are_returned_to(raw: str | None, expected: str) -> None:
    assert local_path(raw) == expected


def test_a_page_without_a_session_sends_the_browser_to_sign_in(admin_console: Console) -> None:
    browser = other_browser(admin_console.bridge.client)
    response = browser.get("/admin/sessions?provider_id=acme", follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/admin/sign-in"
    assert parse_qs(location.query)["next"] == ["/admin/sessions?provider_id=acme"]


def test_a_form_post_without_a_session_is_refused_and_audited(admin_console: Console) -> None:
    browser = other_browser(admin_console.bridge.client)
    response = browser.post("/admin/sessions/abc/end", data={"csrf_token": "x"}, follow_redirects=False)
    assert response.status_code == 401
    assert error_page_text(response)[0] == "Signed out"
    events = admin_console.bridge.call(admin_console.bridge.store.list_audit, type="admin.rejected", limit=5)
    assert [e.detail["reason"] for e in events] == ["no_session"]


def test_sign_in_returns_to_the_console_page_it_started_from(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "admin")  # lands on /admin/sessions (asserted by the harness)
    page = bob.get("/admin/sessions")
    assert page.status_code == 200 and 'id="viewer-role">admin<' in page.text


def test_sign_in_never_returns_to_another_site(admin_console: Console) -> None:
    browser = other_browser(admin_console.bridge.client)
    start = browser.get("/admin/sign-in", params={"next": "https://evil.example/admin"}, follow_redirects=False)
    assert start.status_code == 303
    driver = LoginDriver(browser)
    try:  # from the upstream on (the console's own URLs would match the stop prefix)
        result = driver.login(
            start.headers["location"], user="bob", provider="acme",
            stop_prefix=(f"{BRIDGE_ISSUER}/admin", "https://evil.example"),
        )  # fmt: skip
    finally:
        driver.close()
    assert result.final_url == f"{BRIDGE_ISSUER}/admin"


def test_the_console_asks_for_the_multi_factor_level(admin_console: Console) -> None:
    """Alice's upstream proves no MFA: even with MFA not required for portals, the console sends her to the
    bridge's second factor (enrollment at first sign-in) before any console page."""
    driver = LoginDriver(other_browser(admin_console.bridge.client))
    try:
        result = driver.login("/admin/sign-in?next=/admin", user="alice", provider="acme")
    finally:
        driver.close()
    assert result.final_url is None and result.page is not None
    assert result.steps[-1].endswith("/mfa"), result.steps
    assert "Set up two-factor authentication" in result.page.text


def test_a_fresh_second_factor_needs_no_step_up(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "super_admin")
    response = bob.get("/admin/step-up", next="/admin/sessions")
    assert (response.status_code, response.headers["location"]) == (303, "/admin/sessions")


def test_an_old_second_factor_is_stepped_up_locally_without_a_new_upstream_login(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "super_admin")
    admin_console.clock.advance(601)
    page = bob.get("/admin/sessions")
    assert "Verify now" in page.text and 'href="/admin/step-up?next=/admin/sessions"' in page.text
    response = bob.get("/admin/step-up", next="/admin/sessions")
    assert (response.status_code, response.headers["location"]) == (303, "/mfa")
    step = bob.get("/mfa")
    assert step.status_code == 200 and "Set up two-factor authentication" in step.text  # bob never enrolled
    sessions = admin_console.bridge.live_sessions(bob.user_id)
    assert len(sessions) == 1  # the same session is stepped up, none is added


def _config_with(tmp_path: Path, upstreams: dict[str, str], key_file: Path, admin: AdminConsoleConfig) -> Config:
    config = make_config(tmp_path, upstreams, key_file=key_file)
    return config.model_copy(update={"admin": admin})


def test_admin_allowed_providers_narrow_the_console_sign_in(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    config = _config_with(tmp_path, upstreams, key_file, AdminConsoleConfig(allowed_providers=("globex",)))
    with console(config) as c:
        browser = other_browser(c.bridge.client)
        response = browser.get("/admin/sign-in?next=/admin", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith(upstreams["globex"])  # the only choice: no choice page
        ok = c.sign_in("bob", provider="globex")
        assert ok.user_id
        portal = LoginDriver(other_browser(c.bridge.client))
        try:  # a portal may still use acme: the narrowing is the console's own
            result = portal.login(authorize_url(provider_hint="acme"), provider="acme", user="alice")
        finally:
            portal.close()
        assert "code" in result.params, result.steps


def test_a_disabled_console_is_not_served(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    config = _config_with(tmp_path, upstreams, key_file, AdminConsoleConfig(enabled=False))
    with console(config) as c:
        browser = other_browser(c.bridge.client)
        for path in ("/admin", "/admin/sign-in?next=/admin", "/admin/sessions"):
            response = browser.get(path, follow_redirects=False)
            assert response.status_code == 404, path
        assert browser.get("/admin/api/openapi.json").status_code == 200  # the JSON API stays
