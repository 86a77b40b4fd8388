"""GET|POST /authorize: every bad request is a readable 4xx page or an error redirect, creates nothing, and
is audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from tests.bridge_harness import (
    BRIDGE_ISSUER,
    PORTAL_REDIRECT,
    LoginDriver,
    authorize_query,
    authorize_url,
    error_page_text,
)
from tests.store_peek import counts, last_audit

NOTHING = {"auth_requests": 0, "login_flows": 0, "users": 0, "sessions": 0, "codes": 0, "access_tokens": 0}


def _query(response: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


# -- errors before the client and redirect_uri are verified: a page, never a redirect ----------------------------

PAGE_CASES = [
    pytest.param({"client_id": "nope"}, "not registered", "unknown_client", id="unknown-client"),
    pytest.param({"client_id": "__omit__"}, "names no client_id", "missing_client_id", id="missing-client"),
    pytest.param({"redirect_uri": "__omit__"}, "names no redirect_uri", "missing_redirect_uri", id="missing-uri"),
    pytest.param({"redirect_uri": "https://evil.example/cb"}, "not registered", "redirect_uri_mismatch", id="foreign"),
    pytest.param({"redirect_uri": PORTAL_REDIRECT + "?x=1"}, "not registered", "redirect_uri_mismatch", id="extra-q"),
    pytest.param({"redirect_uri": PORTAL_REDIRECT + "/"}, "not registered", "redirect_uri_mismatch", id="slash"),
    pytest.param(
        {"redirect_uri": PORTAL_REDIRECT.replace(":7001", ":7009")}, "not registered", "redirect_uri_mismatch",
        id="other-port",
    ),
    pytest.param(
        {"redirect_uri": PORTAL_REDIRECT.replace("callback", "Callback")}, "not registered",
        "redirect_uri_mismatch", id="case",
    ),
    pytest.param(
        {"redirect_uri": PORTAL_REDIRECT.replace("http:", "https:")}, "not registered", "redirect_uri_mismatch",
        id="scheme",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message", "reason"), PAGE_CASES)
def test_unverified_client_or_redirect_uri_gets_a_page(
    bridge_client: TestClient, bridge: Bridge, change: dict[str, str], message: str, reason: str
) -> None:
    # Everything else in the request is wrong too: the portal must not be told, since it is not verified.
    response = bridge_client.get(authorize_url(response_type="token", **change), follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert message in error_page_text(response)[1]
    assert counts(bridge.config.store.path) == NOTHING
    kind, outcome, detail = last_audit(bridge.config.store.path)
    assert (kind, outcome, detail["reason"]) == ("authorize.rejected", "failure", reason)


# -- errors after verification: back to the portal with error, error_description, its state and iss -------------

REDIRECT_CASES = [
    pytest.param({"challenge": "__omit__"}, "invalid_request", "PKCE is required", id="no-challenge"),
    pytest.param({"code_challenge_method": "plain"}, "invalid_request", "must be S256", id="plain"),
    pytest.param({"code_challenge_method": "__omit__"}, "invalid_request", "must be S256", id="no-method"),
    pytest.param({"challenge": "short"}, "invalid_request", "43 base64url", id="short-challenge"),
    pytest.param({"challenge": "!" * 43}, "invalid_request", "43 base64url", id="bad-alphabet"),
    pytest.param({"challenge": "a" * 44}, "invalid_request", "43 base64url", id="long-challenge"),
    pytest.param({"response_type": "token"}, "unsupported_response_type", "response_type=code", id="token"),
    pytest.param({"response_type": "code id_token"}, "unsupported_response_type", "response_type=code", id="hybrid"),
    pytest.param({"response_type": "__omit__"}, "unsupported_response_type", "response_type=code", id="no-type"),
    pytest.param({"response_mode": "form_post"}, "invalid_request", "response_mode=query", id="form-post"),
    pytest.param({"scope": "email profile"}, "invalid_scope", "'openid'", id="no-openid"),
    pytest.param({"scope": "__omit__"}, "invalid_scope", "'openid'", id="no-scope"),
    pytest.param({"scope": 'openid "quoted"'}, "invalid_scope", "'openid'", id="bad-scope-token"),
    pytest.param({"prompt": "none"}, "login_required", "must sign in", id="prompt-none-no-session"),
    pytest.param({"prompt": "none login"}, "invalid_request", "cannot be combined", id="none-login"),
    pytest.param({"prompt": "bogus"}, "invalid_request", "prompt must be", id="bad-prompt"),
    pytest.param({"prompt": ""}, "invalid_request", "prompt must be", id="empty-prompt"),
    pytest.param({"max_age": "-1"}, "invalid_request", "max_age", id="negative-max-age"),
    pytest.param({"max_age": "abc"}, "invalid_request", "max_age", id="text-max-age"),
    pytest.param({"max_age": "1" * 10}, "invalid_request", "max_age", id="huge-max-age"),
    pytest.param({"max_age": "\u00b9"}, "invalid_request", "max_age", id="superscript-max-age"),
    pytest.param({"max_age": "\u0661\u0662"}, "invalid_request", "max_age", id="arabic-digits-max-age"),
    pytest.param({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported", "request objects", id="request"),
    pytest.param({"request_uri": "https://x.example/r"}, "request_uri_not_supported", "request_uri", id="request-uri"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "error", "description"), REDIRECT_CASES)
def test_bad_request_from_a_verified_portal_is_sent_back_to_it(
    bridge_client: TestClient, bridge: Bridge, change: dict[str, str], error: str, description: str
) -> None:
    response = bridge_client.get(authorize_url(**change), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith(PORTAL_REDIRECT + "?")
    query = _query(response)
    assert query["error"] == error
    assert description in query["error_description"]
    assert query["state"] == "portal-state"
    assert query["iss"] == BRIDGE_ISSUER
    assert "code" not in query
    assert counts(bridge.config.store.path) == NOTHING
    kind, outcome, detail = last_audit(bridge.config.store.path)
    assert (kind, outcome, detail["reason"], detail["client_id"]) == ("authorize.rejected", "failure", error, "console")


def test_error_redirect_omits_state_the_portal_did_not_send(bridge_client: TestClient) -> None:
    response = bridge_client.get(authorize_url(state="__omit__", response_type="token"), follow_redirects=False)
    assert response.status_code == 303
    assert "state" not in _query(response) and _query(response)["iss"] == BRIDGE_ISSUER


# -- malformed parameters: a 4xx page ----------------------------------------------------------------------------


def _raw(pairs: list[tuple[str, str]]) -> str:
    return "/authorize?" + urlencode(pairs)


_BASE = list(authorize_query().items())


def _with_state(value: str) -> str:
    return _raw([(k, value if k == "state" else v) for k, v in _BASE])


PARAM_CASES = [
    pytest.param(_with_state("x" * 2049), "'state' is too long", id="oversized"),
    pytest.param(_raw([*_BASE, ("state", "again")]), "'state' is given more than once", id="duplicate"),
    pytest.param(_with_state("a\x01b"), "'state' contains control characters", id="ctrl"),
    pytest.param(_with_state("a\nb"), "'state' contains control characters", id="newline"),
    pytest.param(_with_state("a\x7fb"), "'state' contains control characters", id="del"),
    pytest.param(_with_state("a\x00b"), "'state' contains control characters", id="nul"),
    pytest.param(_raw(_BASE + [(f"x{i}", "1") for i in range(41 - len(_BASE))]), "too many parameters", id="41"),
    pytest.param(_raw([*_BASE, ("n" * 65, "1")]), "name is too long", id="long-name"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "message"), PARAM_CASES)
def test_malformed_parameters_get_a_page(bridge_client: TestClient, bridge: Bridge, url: str, message: str) -> None:
    response = bridge_client.get(url, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert message in error_page_text(response)[1]
    assert counts(bridge.config.store.path) == NOTHING
    assert last_audit(bridge.config.store.path)[:2] == ("authorize.rejected", "failure")


def test_exactly_forty_parameters_are_accepted(bridge_client: TestClient) -> None:
    url = _raw(_BASE + [(f"x{i}", "1") for i in range(40 - len(_BASE))])
    assert bridge_client.get(url, follow_redirects=False).status_code == 303


def _too_many_fields() -> dict[str, str]:
    return {**authorize_query(), **{f"x{i}": "1" for i in range(50)}}


def _chunks(size: int) -> Any:
    yield b"state="
    for _ in range(size // 1024):
        yield b"x" * 1024


POST_CASES = [
    pytest.param({"data": {**authorize_query(), "pad": "x" * 70_000}}, 413, "too large", id="oversized-body"),
    pytest.param(
        {"content": _chunks(70_000), "headers": {"content-type": "application/x-www-form-urlencoded"}}, 413,
        "too large", id="oversized-chunked",
    ),
    pytest.param({"json": authorize_query()}, 415, "x-www-form-urlencoded", id="json"),
    pytest.param({"content": b"{}", "headers": {"content-type": "text/plain"}}, 415, "x-www-form-urlencoded",
                 id="text"),
    pytest.param({"data": _too_many_fields()}, 400, "Too many fields. Maximum number of fields is 40",
                 id="too-many-fields"),
    pytest.param({"data": authorize_query(), "files": {"f": b"x"}}, 400, "Too many files", id="file-upload"),
    pytest.param(
        {"content": b"--x--", "headers": {"content-type": "multipart/form-data"}}, 400, "Missing boundary",
        id="no-boundary",
    ),
    pytest.param(
        {"content": b"client_id=console", "headers": {"content-length": "\u00b9".encode("latin-1"),
         "content-type": "application/x-www-form-urlencoded"}}, 413, "too large", id="bad-length",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "status", "message"), POST_CASES)
def test_bad_post_bodies_get_a_page(
    bridge_client: TestClient, bridge: Bridge, kwargs: dict[str, Any], status: int, message: str
) -> None:
    response = bridge_client.post("/authorize", follow_redirects=False, **kwargs)
    assert response.status_code == status
    assert "location" not in response.headers
    assert message in error_page_text(response)[1]
    assert counts(bridge.config.store.path) == NOTHING
    assert last_audit(bridge.config.store.path)[:2] == ("authorize.rejected", "failure")


def test_a_parameter_both_in_the_query_and_the_body_is_a_duplicate(bridge_client: TestClient, bridge: Bridge) -> None:
    response = bridge_client.post("/authorize?state=q", data=authorize_query(), follow_redirects=False)
    assert response.status_code == 400
    assert "'state' is given more than once" in error_page_text(response)[1]
    assert counts(bridge.config.store.path) == NOTHING


# -- POST works like GET ----------------------------------------------------------------------------------------


def test_post_authorize_works_like_get(bridge_client: TestClient, bridge: Bridge) -> None:
    response = bridge_client.post("/authorize", data=authorize_query(), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?request=")
    assert counts(bridge.config.store.path)["auth_requests"] == 1
    rejected = bridge_client.post("/authorize", data=authorize_query(scope="profile"), follow_redirects=False)
    assert rejected.status_code == 303 and _query(rejected)["error"] == "invalid_scope"


def test_post_authorize_signs_in_end_to_end(bridge_client: TestClient, driver: LoginDriver) -> None:
    response = bridge_client.post("/authorize", data=authorize_query(provider_hint="acme"), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("http://127.0.0.1:")
    result = driver.login(response.headers["location"])
    assert result.params["state"] == "portal-state" and "code" in result.params


def test_prompt_none_with_a_live_session_issues_a_code(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    assert "code" in driver.login(authorize_url(), provider="acme").params
    response = bridge_client.get(authorize_url(prompt="none"), follow_redirects=False)
    assert response.status_code == 303 and "code" in _query(response)
    assert counts(bridge.config.store.path)["codes"] == 2
