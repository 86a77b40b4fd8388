"""GET|POST /callback/{provider}: a callback that is missing, forged, replayed, misrouted, denied or late gets a
readable 4xx page, creates no user, session or code, and is audited."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from tests.bridge_harness import (
    BRIDGE_ISSUER,
    LoginDriver,
    authorize_url,
    error_page_text,
    other_browser,
    running_bridge,
)
from tests.store_peek import counts, last_audit, live_sessions

CALLBACK = (BRIDGE_ISSUER + "/callback/",)


def _callback_path(driver: LoginDriver, provider: str = "acme") -> str:
    """Walk a login up to (not into) the bridge's callback; the bridge path the upstream sent the browser to."""
    result = driver.login(authorize_url(provider_hint=provider), stop_prefix=CALLBACK)
    assert result.final_url is not None and result.final_url.startswith(CALLBACK[0] + provider + "?")
    return result.final_url[len(BRIDGE_ISSUER) :]


def _assert_refused(
    client: TestClient, path: str, status: int, message: str, reason: str, *, method: str = "GET"
) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == status, response.text
    assert "location" not in response.headers
    assert message in error_page_text(response)[1]
    kind, outcome, detail = last_audit(client.app.state.bridge.config.store.path)  # type: ignore[attr-defined]
    assert (kind, outcome, detail["reason"]) == ("login.failed", "failure", reason)


def _nothing_signed_in(db: str) -> None:
    c = counts(db)
    assert (c["users"], c["sessions"], c["codes"], c["access_tokens"]) == (0, 0, 0, 0)


MALFORMED = [
    pytest.param("/callback/acme?code=abc", 400, "carries no state", "missing_state", id="missing-state"),
    pytest.param("/callback/acme?code=abc&state=", 400, "carries no state", "missing_state", id="empty-state"),
    pytest.param("/callback/acme?code=abc&state=bogus", 400, "unknown, expired or was already used", "unknown_state",
                 id="unknown-state"),
    pytest.param("/callback/acme?state=a&state=b", 400, "'state' is given more than once", "bad_parameters",
                 id="duplicate-state"),
    pytest.param("/callback/acme?state=" + "s" * 2049, 400, "'state' is too long", "bad_parameters", id="long-state"),
    pytest.param("/callback/nope?code=abc&state=bogus", 400, "unknown, expired", "unknown_state",
                 id="unknown-provider"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "status", "message", "reason"), MALFORMED)
def test_malformed_callbacks_are_refused(
    bridge_client: TestClient, bridge: Bridge, path: str, status: int, message: str, reason: str
) -> None:
    _assert_refused(bridge_client, path, status, message, reason)
    assert counts(bridge.config.store.path) == dict.fromkeys(counts(bridge.config.store.path), 0)


def test_post_callback_with_a_json_body_is_415(bridge_client: TestClient, bridge: Bridge) -> None:
    response = bridge_client.post("/callback/acme", json={"state": "x", "code": "y"})
    assert response.status_code == 415 and "x-www-form-urlencoded" in error_page_text(response)[1]
    assert last_audit(bridge.config.store.path)[:2] == ("login.failed", "failure")


def test_a_replayed_callback_is_refused_and_creates_no_second_session(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    path = _callback_path(driver)
    first = bridge_client.get(path, follow_redirects=False)
    assert first.status_code == 303 and "code" in parse_qs(urlsplit(first.headers["location"]).query)
    before = counts(bridge.config.store.path)
    _assert_refused(bridge_client, path, 400, "was already used", "unknown_state")
    assert counts(bridge.config.store.path) == before
    assert (before["sessions"], before["codes"], live_sessions(bridge.config.store.path)) == (1, 1, 1)


def test_a_callback_opened_in_another_browser_is_refused_and_leaves_the_login_to_the_browser_that_started_it(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    path = _callback_path(driver)
    _assert_refused(other_browser(bridge_client), path, 400, "started in another browser", "browser_binding_mismatch")
    _nothing_signed_in(bridge.config.store.path)
    assert counts(bridge.config.store.path)["login_flows"] == 1  # not consumed by the wrong browser
    # Whoever holds the callback URL cannot cancel the login: the browser that started it still finishes it.
    finished = bridge_client.get(path, follow_redirects=False)
    assert finished.status_code == 303 and "code" in parse_qs(urlsplit(finished.headers["location"]).query)
    assert live_sessions(bridge.config.store.path) == 1


def test_a_binding_cookie_planted_in_both_browsers_does_not_sign_the_victim_in_as_the_attacker(
    bridge_client: TestClient, bridge: Bridge
) -> None:
    """Login CSRF by cookie tossing: the attacker plants one binding value in the victim's browser and in their
    own, signs in upstream as themselves, and sends the victim the callback URL."""
    attacker, victim = other_browser(bridge_client), bridge_client
    for browser in (attacker, victim):
        browser.cookies.set(bridge.browser_cookie_name, "planted-binding-value", path="/")
    attackers_driver = LoginDriver(attacker)
    try:
        path = _callback_path(attackers_driver)
    finally:
        attackers_driver.close()
    _assert_refused(victim, path, 400, "started in another browser", "browser_binding_mismatch")
    _nothing_signed_in(bridge.config.store.path)


def test_a_callback_with_a_forged_binding_cookie_is_refused(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    path = _callback_path(driver)
    attacker = other_browser(bridge_client)
    attacker.cookies.set(bridge.browser_cookie_name, "forged-binding-value", path="/callback")
    _assert_refused(attacker, path, 400, "started in another browser", "browser_binding_mismatch")
    _nothing_signed_in(bridge.config.store.path)


def test_a_callback_on_the_other_providers_path_is_refused(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    path = _callback_path(driver, "acme").replace("/callback/acme?", "/callback/globex?")
    _assert_refused(bridge_client, path, 400, "came back from the wrong provider", "provider_mismatch")
    _nothing_signed_in(bridge.config.store.path)
    assert counts(bridge.config.store.path)["login_flows"] == 0  # burnt, not left for a second try


def test_the_upstream_deny_button_is_a_readable_403(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    # oidc-provider-mock's Deny answers error=access_denied without the state (RFC 6749 wants it echoed).
    result = driver.login(authorize_url(provider_hint="globex"), upstream_form={"action": "deny"})
    assert result.page is not None and result.final_url is None
    assert result.page.status_code == 403
    assert "did not complete the login: access_denied" in error_page_text(result.page)[1]
    _nothing_signed_in(bridge.config.store.path)
    assert counts(bridge.config.store.path)["login_flows"] == 1  # unknowable without state; expires unused
    kind, outcome, detail = last_audit(bridge.config.store.path)
    assert (kind, outcome, detail["reason"], detail["upstream_error"], detail["provider_id"]) == (
        "login.failed", "failure", "upstream_error_without_state", "access_denied", "globex",
    )  # fmt: skip


ERRORS = [
    pytest.param({"error": "access_denied"}, "did not complete the login: access_denied", id="denied"),
    pytest.param({"error": "access_denied", "error_description": "<script>x</script>"},
                 "access_denied (<script>x</script>)", id="hostile-description"),
    pytest.param({"error": "login_required", "iss": "https://evil.example"}, "does not match the issuer",
                 id="mixed-up-issuer"),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "message"), ERRORS)
def test_an_upstream_error_answer_is_a_readable_4xx(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver, answer: dict[str, str], message: str
) -> None:
    state = parse_qs(urlsplit(_callback_path(driver)).query)["state"][0]
    response = bridge_client.get(f"/callback/acme?{urlencode({'state': state, **answer})}", follow_redirects=False)
    assert response.status_code in (400, 403) and "<script>" not in response.text
    assert message in error_page_text(response)[1]
    _nothing_signed_in(bridge.config.store.path)
    assert last_audit(bridge.config.store.path)[:2] == ("login.failed", "failure")


def test_a_callback_after_the_login_timeout_is_refused(config: Config) -> None:
    clock = FrozenClock(time.time())  # the upstream mints real timestamps
    with running_bridge(config, clock=clock) as client:
        driver = LoginDriver(client)
        path = _callback_path(driver)
        clock.advance(config.sessions.login_timeout_seconds + 1)
        _assert_refused(client, path, 400, "unknown, expired or was already used", "unknown_state")
        _nothing_signed_in(config.store.path)
        driver.close()


def test_a_callback_after_the_portal_request_expired_is_refused(config: Config) -> None:
    clock = FrozenClock(time.time())
    with running_bridge(config, clock=clock) as client:
        driver = LoginDriver(client)
        choice = client.get(authorize_url(), follow_redirects=False)
        request_id = parse_qs(urlsplit(choice.headers["location"]).query)["request"][0]
        clock.advance(config.sessions.login_timeout_seconds - 10)  # the choice page sat open for a while
        result = driver.login(f"/login/acme?request={request_id}", stop_prefix=CALLBACK)
        assert result.final_url is not None
        clock.advance(20)  # the portal's request has expired, the upstream flow has not
        _assert_refused(client, result.final_url[len(BRIDGE_ISSUER) :], 400, "took too long", "auth_request_expired")
        _nothing_signed_in(config.store.path)
        driver.close()
