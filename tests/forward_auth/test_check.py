"""Forward-auth in process: the nginx (401) and redirect modes, identity headers, route step-up, activity, and
bad input (forged cookies, unprotected hosts, open-redirect attempts, header injection through claims)."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.store.records.core import Session, secret_hash
from tests.bridge_harness import LoginDriver, other_browser
from tests.session_fixtures import BridgeFactory, bridge_of, run_in_bridge
from tests.store_peek import last_audit

APP = "app.test"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": APP, "X-Forwarded-Uri": "/reports?q=1",
             "X-Forwarded-Method": "GET"}  # fmt: skip


def _check(client: TestClient, mode: str = "", uri: str = "/reports?q=1", **headers: str) -> object:
    sent = {**FORWARDED, "X-Forwarded-Uri": uri, **headers}
    return client.get(f"/forward-auth{mode}", headers=sent, follow_redirects=False)


def _sign_in(client: TestClient, user: str = "alice", path: str = "/reports") -> None:
    driver = LoginDriver(client)
    try:
        result = driver.login(
            f"/forward-auth/sign-in?rd={quote(f'https://{APP}{path}', safe='')}", user=user, provider="acme",
            stop_prefix=(f"https://{APP}",),
        )  # fmt: skip
    finally:
        driver.close()
    assert result.final_url == f"https://{APP}{path}", (result.steps, result.page.text[:300] if result.page else "")


@pytest.fixture
def fa(make_bridge: BridgeFactory):  # type: ignore[no-untyped-def]
    with make_bridge(protected_hosts=(APP,)) as client:
        yield client


def test_signed_out_nginx_gets_401_with_sign_in_location_redirect_mode_a_302(fa: TestClient) -> None:
    for mode, status in (("", 401), ("/redirect", 302)):
        response = _check(fa, mode)
        assert response.status_code == status  # type: ignore[attr-defined]
        location = urlsplit(response.headers["location"])  # type: ignore[attr-defined]
        assert location.path == "/forward-auth/sign-in"
        assert parse_qs(location.query)["rd"] == [f"https://{APP}/reports?q=1"]
        assert "x-auth-user" not in response.headers  # type: ignore[attr-defined]
    assert _check(fa, "/redirect", **{"X-Forwarded-Method": "POST"}).status_code == 303  # type: ignore[attr-defined]


def test_signed_in_gets_identity_headers_and_counts_as_activity(fa: TestClient, clock: FrozenClock) -> None:
    _sign_in(fa, "bob")
    for _ in range(3):
        clock.advance(1000)  # idle timeout 1800 s: only the checks keep the session alive
        response = _check(fa)
        assert response.status_code == 200  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["x-auth-email"] == "bob@example.com"
    assert headers["x-auth-name"] == "Bob Admin"
    assert headers["x-auth-amr"] == "pwd,mfa" and headers["x-auth-acr"] == "urn:idp-bridge:loa:2"
    assert headers["x-auth-user"] and "x-auth-groups" in headers
    clock.advance(1800)
    assert _check(fa).status_code == 401  # type: ignore[attr-defined]


def test_protected_prefix_needs_recent_mfa(fa: TestClient, clock: FrozenClock) -> None:
    _sign_in(fa, "alice")
    assert _check(fa, uri="/reports").status_code == 200  # type: ignore[attr-defined]
    for uri in ("/admin", "/admin/users", "/public/../admin", "/%61dmin"):
        assert _check(fa, uri=uri).status_code == 401, uri  # type: ignore[attr-defined]
    # alice's session has no MFA: the sign-in page steps it up with the local second factor (no upstream login;
    # tests/forward_auth/test_sign_in.py walks through it)
    page = fa.get(f"/forward-auth/sign-in?rd={quote(f'https://{APP}/admin', safe='')}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/mfa"
    bob = other_browser(fa)
    _sign_in(bob, "bob", "/admin")  # upstream MFA, trusted: no local step
    assert _check(bob, uri="/admin").status_code == 200  # type: ignore[attr-defined]
    # bob's MFA ages past the rule's 600 s (set in the store: the upstream process has its own clock)
    with sqlite3.connect(bridge_of(fa).config.store.path) as db:
        db.execute("UPDATE sessions SET auth_time = auth_time - 601 WHERE ended_at IS NULL")
    db.close()
    clock.advance(1)  # past the worker cache's 1 s revalidation bound
    stale = _check(bob, uri="/admin")
    assert stale.status_code == 401  # type: ignore[attr-defined]
    # a fresh local second factor is the re-authentication (no upstream prompt=login round trip)
    step_up = bob.get(stale.headers["location"].removeprefix(bridge_of(fa).issuer), follow_redirects=False)  # type: ignore[attr-defined]
    assert step_up.status_code == 303 and step_up.headers["location"] == "/mfa"


def test_bad_targets_are_refused_and_audited(fa: TestClient) -> None:
    db = bridge_of(fa).config.store.path
    bad = [
        ({"X-Forwarded-Host": "evil.test"}, 403, "host_not_protected"),
        ({"X-Forwarded-Host": ""}, 400, "bad_target"),
        ({"X-Forwarded-Proto": "javascript"}, 400, "bad_target"),
        ({"X-Forwarded-Uri": "//evil.test/x"}, 400, "bad_target"),
        ({"X-Forwarded-Host": f"{APP}@evil.test"}, 400, "bad_target"),
    ]
    for headers, status, reason in bad:
        response = _check(fa, **headers)
        assert response.status_code == status, headers  # type: ignore[attr-defined]
        assert last_audit(db)[2]["reason"] == reason
    for rd in ("https://evil.test/", f"https://{APP}@evil.test/", "javascript:alert(1)", f"//{APP}/", "/relative"):
        page = fa.get(f"/forward-auth/sign-in?rd={quote(rd, safe='')}", follow_redirects=False)
        assert page.status_code == 400 and "location" not in page.headers, rd
        assert last_audit(db)[2]["reason"] == "bad_return_url"


def _flip(char: str) -> str:
    """A different character, always (overwriting with a fixed one left the value unchanged 1 time in 64)."""
    return "B" if char == "A" else "A"


def test_forged_tampered_or_foreign_cookies_are_signed_out(fa: TestClient) -> None:
    _sign_in(fa, "alice")
    db = bridge_of(fa).config.store.path
    name = bridge_of(fa).session_cookie.name
    good = fa.cookies.get(name)
    assert good is not None
    token, signature = good.split(".")
    session = run_in_bridge(fa, bridge_of(fa).store.get_session_by_token, secret_hash(token), bridge_of(fa).clock.now())
    forgeries = [
        f"{token}.{signature[:-2]}{_flip(signature[-2])}{_flip(signature[-1])}",  # tampered signature
        f"{token[:-1]}{_flip(token[-1])}.{signature}",  # tampered token
        token,  # unsigned
        f"{session.id}.{signature}",  # the public session id in place of the token
        "x" * 300,
    ]
    for value in forgeries:
        stranger = other_browser(fa)
        stranger.cookies.set(name, value)
        assert _check(stranger).status_code == 401, value  # type: ignore[attr-defined]
        if len(value) < 300:
            assert last_audit(db)[2]["reason"] in ("bad_session_cookie",), value


def test_header_injection_through_claims_is_neutralised(fa: TestClient) -> None:
    bridge = bridge_of(fa)
    now = bridge.clock.now()
    user = run_in_bridge(
        fa, lambda: bridge.store.upsert_user(
            issuer="https://evil.test", subject="eve", provider_id="acme", email="eve@x.test\r\nX-Auth-Admin: yes",
            name="Eve\nSet-Cookie: a=b\x00\x7f é", now=now,
        ),
    )  # fmt: skip
    token = bridge.session_cookie.new_token()
    session = Session(
        id="eve-session", token_hash=secret_hash(token), user_id=user.id, provider_id="acme", auth_time=int(now),
        amr=("pwd",), acr=None, created_at=now, last_seen_at=now, expires_at=now + 600, idle_timeout=600.0,
    )  # fmt: skip
    run_in_bridge(fa, bridge.store.create_session, session)
    run_in_bridge(fa, bridge.store.put_session_groups, session.id, ["ops,admins", "a\r\nb", "x" * 5000])
    browser = other_browser(fa)
    browser.cookies.set(bridge.session_cookie.name, bridge.session_cookie.sign(token))
    response = _check(browser)
    assert response.status_code == 200  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert "x-auth-admin" not in headers and "set-cookie" not in headers
    assert headers["x-auth-email"] == "eve@x.test%0D%0AX-Auth-Admin: yes"
    assert headers["x-auth-name"] == "Eve%0ASet-Cookie: a=b%00%7F %C3%A9"
    assert headers["x-auth-groups"].split(",")[:2] == ["ops%2Cadmins", "a%0D%0Ab"]
    assert len(headers["x-auth-groups"]) <= 4096
    for value in headers.values():
        assert "\r" not in value and "\n" not in value


def test_eviction_reaches_forward_auth_at_once(fa: TestClient) -> None:
    _sign_in(fa, "alice")
    assert _check(fa).status_code == 200  # type: ignore[attr-defined]  (now cached in the worker)
    other = other_browser(fa)
    _sign_in(other, "alice")
    assert _check(fa).status_code == 401  # type: ignore[attr-defined]
    notice = fa.get(f"/forward-auth/sign-in?rd={quote(f'https://{APP}/', safe='')}")
    assert notice.status_code == 401 and "signed in on another device" in notice.text




BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_redirect_mode_answers_a_json_client_401_with_a_json_body(fa: TestClient) -> None:
    for accept in ("application/json", "application/json, text/plain, */*", "application/problem+json"):
        response = _check(fa, "/redirect", Accept=accept)
        assert response.status_code == 401, accept  # type: ignore[attr-defined]
        assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
        body = response.json()  # type: ignore[attr-defined]
        assert body["error"] == "login_required" and body["error_description"]
        assert parse_qs(urlsplit(body["sign_in_url"]).query)["rd"] == [f"https://{APP}/reports?q=1"]
        assert body["sign_in_url"] == response.headers["location"]  # type: ignore[attr-defined]
    for accept in (BROWSER_ACCEPT, "*/*", "text/html, application/json;q=0.5", "application/json;q=0"):
        assert _check(fa, "/redirect", Accept=accept).status_code == 302, accept  # type: ignore[attr-defined]
    # a session without MFA on a route that needs it: the step-up error of RFC 9470
    _sign_in(fa, "alice")
    step_up = _check(fa, "/redirect", uri="/admin", Accept="application/json")
    assert step_up.status_code == 401  # type: ignore[attr-defined]
    assert step_up.json()["error"] == "insufficient_user_authentication"  # type: ignore[attr-defined]
    assert _check(fa, "/redirect", Accept="application/json").status_code == 200  # type: ignore[attr-defined]


BYPASS_SPELLINGS = ("/admin;x", "/ADMIN", "/Admin/x", "/aDmIn;v=1/users", "/public/..;/admin")
AMBIGUOUS = ("/admin%2f..", "/admin%5c..%5cx", "/x%2F..%2Fadmin", "/public/%2e%2e/admin", "/p/%252e%252e/admin")


def test_case_and_parameter_spellings_of_a_ruled_prefix_need_the_step_up(fa: TestClient) -> None:
    _sign_in(fa, "alice")  # single-factor: every spelling of /admin must send her to the step-up
    for uri in BYPASS_SPELLINGS:
        assert _check(fa, uri=uri).status_code == 401, uri  # type: ignore[attr-defined]
    assert _check(fa, uri="/administrator").status_code == 200  # type: ignore[attr-defined]


def test_encoded_separators_and_dots_get_a_readable_400_and_an_audit_event(fa: TestClient) -> None:
    db = bridge_of(fa).config.store.path
    for signed_in in (False, True):
        if signed_in:
            _sign_in(fa, "alice")
        for mode in ("", "/redirect"):
            for uri in AMBIGUOUS:
                response = _check(fa, mode, uri=uri)
                assert response.status_code == 400, (mode, uri)  # type: ignore[attr-defined]
                assert "encoded '/'" in response.text and "location" not in response.headers  # type: ignore[attr-defined]
                assert last_audit(db)[2]["reason"] == "ambiguous_path"
    page = fa.get(f"/forward-auth/sign-in?rd={quote(f'https://{APP}/admin%2f..', safe='')}", follow_redirects=False)
    assert page.status_code == 400 and "location" not in page.headers
    assert "encoded" in page.text and "Traceback" not in page.text
    assert last_audit(db)[2]["reason"] == "ambiguous_path"


def test_an_https_bridge_never_returns_over_http(make_bridge: BridgeFactory) -> None:
    with make_bridge(protected_hosts=(APP,), issuer="https://sso.test") as client:
        db = bridge_of(client).config.store.path
        # the proxy reports an http request: the sign-in URL returns over https
        for mode in ("", "/redirect"):
            response = _check(client, mode, **{"X-Forwarded-Proto": "http"})
            location = urlsplit(response.headers["location"])  # type: ignore[attr-defined]
            assert parse_qs(location.query)["rd"] == [f"https://{APP}/reports?q=1"], mode
        # an http return URL handed to the sign-in page is refused, not followed
        page = client.get(f"/forward-auth/sign-in?rd={quote(f'http://{APP}/reports', safe='')}", follow_redirects=False)
        assert page.status_code == 400 and "location" not in page.headers
        assert "must use https" in page.text and "Traceback" not in page.text
        assert last_audit(db)[2]["reason"] == "insecure_return_url"
        ok = client.get(f"/forward-auth/sign-in?rd={quote(f'https://{APP}/reports', safe='')}", follow_redirects=False)
        assert ok.status_code == 303 and ok.headers["location"].startswith("/login?request="), ok.text[:300]
