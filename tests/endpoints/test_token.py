"""POST /token: every bad redemption is a JSON OAuth error (no-store), mints nothing, and is audited."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from tests.bridge_harness import (
    PORTAL_ID,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    PUBLIC_PORTAL_ID,
    PUBLIC_REDIRECT,
    LoginDriver,
    authorize_url,
    pkce_pair,
    running_bridge,
)
from tests.store_peek import counts, last_audit, redeemed_codes, session_ids

VERIFIER = pkce_pair()[0]
BASIC = (PORTAL_ID, PORTAL_SECRET)


def _code(driver: LoginDriver, **query: str) -> str:
    result = driver.login(authorize_url(provider_hint="acme", **query))
    assert "code" in result.params, result.page.text if result.page else result.steps
    return result.params["code"]


def _form(code: str, /, **change: str) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": PORTAL_REDIRECT,
        "code_verifier": VERIFIER,
    }
    form.update(change)
    return {k: v for k, v in form.items() if v != "__omit__"}


def _error(response: httpx2.Response, status: int, error: str, description: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == error and description in body["error_description"], body
    assert "access_token" not in body


def _userinfo(client: TestClient, token: str) -> int:
    return client.get("/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code


# -- a valid code, a bad request: (form change, status, error, description, is the code burnt?) -----------------

BAD_REDEMPTIONS = [
    pytest.param({"code_verifier": "w" * 43}, 400, "invalid_grant", "does not match the code_challenge", True,
                 id="wrong-verifier"),
    pytest.param({"code_verifier": "short"}, 400, "invalid_grant", "43-128 characters", True, id="malformed-verifier"),
    pytest.param({"code_verifier": "__omit__"}, 400, "invalid_request", "code_verifier is required", False,
                 id="missing-verifier"),
    pytest.param({"redirect_uri": "__omit__"}, 400, "invalid_request", "redirect_uri is required", False,
                 id="missing-redirect-uri"),
    pytest.param({"redirect_uri": "http://127.0.0.1:7001/other"}, 400, "invalid_grant", "redirect_uri does not match",
                 True, id="other-registered-redirect-uri"),
    pytest.param({"redirect_uri": PORTAL_REDIRECT + "/"}, 400, "invalid_grant", "redirect_uri does not match", True,
                 id="altered-redirect-uri"),
    pytest.param({"code": "__omit__"}, 400, "invalid_request", "code is required", False, id="missing-code"),
    pytest.param({"code": "not-a-code"}, 400, "invalid_grant", "unknown", False, id="unknown-code"),
    pytest.param({"grant_type": "refresh_token"}, 400, "unsupported_grant_type", "authorization_code", False,
                 id="refresh-grant"),
    pytest.param({"grant_type": "__omit__"}, 400, "unsupported_grant_type", "authorization_code", False,
                 id="missing-grant"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "status", "error", "description", "burnt"), BAD_REDEMPTIONS)
def test_bad_redemptions_are_refused(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver,
    change: dict[str, str], status: int, error: str, description: str, burnt: bool,
) -> None:  # fmt: skip
    code = _code(driver)
    _error(bridge_client.post("/token", data=_form(code, **change), auth=BASIC), status, error, description)
    db = bridge.config.store.path
    assert counts(db)["access_tokens"] == 0
    assert redeemed_codes(db) == int(burnt)
    kind, outcome, detail = last_audit(db)
    assert (kind, outcome, detail["reason"], detail["client_id"]) == ("token.rejected", "failure", error, PORTAL_ID)
    # A code spent by a bad attempt stays spent; one refused before redemption still works.
    retry = bridge_client.post("/token", data=_form(code), auth=BASIC)
    assert retry.status_code == (400 if burnt else 200), retry.text


# -- client authentication: the code is never touched when the client is not who it claims ---------------------


def _basic(value: bytes) -> dict[str, Any]:
    return {"headers": {"Authorization": b"Basic " + value}}


GENERIC = "client authentication failed"  # one message: which client_ids exist is not said
CLIENT_AUTH = [
    pytest.param({"auth": (PORTAL_ID, "wrong")}, 401, "invalid_client", GENERIC, True,
                 id="wrong-secret-basic"),
    pytest.param({"data": {"client_id": PORTAL_ID, "client_secret": "wrong"}}, 401, "invalid_client",
                 GENERIC, False, id="wrong-secret-post"),
    pytest.param({"auth": ("nobody", "secret")}, 401, "invalid_client", GENERIC, True,
                 id="unknown-client-basic"),
    pytest.param({"data": {"client_id": "nobody"}}, 401, "invalid_client", GENERIC, False,
                 id="unknown-client-none"),
    pytest.param({"data": {"client_id": "nobody", "client_secret": "x"}}, 401, "invalid_client",
                 GENERIC, False, id="unknown-client-post"),
    pytest.param({"data": {"client_id": PORTAL_ID}}, 401, "invalid_client", GENERIC, False,
                 id="confidential-as-public"),
    pytest.param({}, 401, "invalid_client", GENERIC, False, id="no-client"),
    pytest.param({"auth": BASIC, "data": {"client_secret": PORTAL_SECRET}}, 400, "invalid_request",
                 "only one client authentication method", False, id="basic-and-post"),
    pytest.param({"auth": BASIC, "data": {"client_id": PUBLIC_PORTAL_ID}}, 400, "invalid_request",
                 "does not match", False, id="basic-and-other-body-id"),
    pytest.param({"auth": (PUBLIC_PORTAL_ID, "")}, 401, "invalid_client", GENERIC, True,
                 id="public-client-with-basic"),
    pytest.param(_basic(b"!!not-base64!!"), 401, "invalid_client", GENERIC, True, id="malformed-basic"),
    pytest.param(_basic(base64.b64encode(b"no-colon")), 401, "invalid_client", GENERIC, True,
                 id="basic-without-colon"),
    pytest.param(_basic("\u00e9t\u00e9".encode("latin-1")), 401, "invalid_client", GENERIC, True,
                 id="non-ascii-basic"),
    pytest.param(_basic(base64.b64encode(b"\xff\xfe:x")), 401, "invalid_client", GENERIC, True,
                 id="non-utf8-basic"),
    pytest.param({"headers": {"Authorization": "Bearer abc"}}, 401, "invalid_client", GENERIC,
                 True, id="bearer-scheme"),
]  # fmt: skip


CLAIMED = {
    "wrong-secret-basic": PORTAL_ID, "wrong-secret-post": PORTAL_ID, "unknown-client-basic": "nobody",
    "unknown-client-none": "nobody", "unknown-client-post": "nobody", "confidential-as-public": PORTAL_ID,
    "no-client": None, "basic-and-post": PORTAL_ID, "basic-and-other-body-id": PORTAL_ID,
    "public-client-with-basic": PUBLIC_PORTAL_ID, "malformed-basic": None, "basic-without-colon": None,
    "non-ascii-basic": None, "non-utf8-basic": None, "bearer-scheme": None,
}  # fmt: skip


@pytest.mark.parametrize(("kwargs", "status", "error", "description", "challenge"), CLIENT_AUTH)
def test_client_authentication_failures(
    request: pytest.FixtureRequest, bridge_client: TestClient, bridge: Bridge, driver: LoginDriver,
    kwargs: dict[str, Any], status: int, error: str, description: str, challenge: bool,
) -> None:  # fmt: skip
    code = _code(driver)
    data = {**_form(code), **kwargs.get("data", {})}
    response = bridge_client.post("/token", data=data, **{k: v for k, v in kwargs.items() if k != "data"})
    _error(response, status, error, description)
    # RFC 6749 §5.2: a client that tried the Authorization header is answered with a Basic challenge.
    assert ("www-authenticate" in response.headers) == challenge
    if challenge:
        assert response.headers["www-authenticate"].startswith("Basic ")
    db = bridge.config.store.path
    assert (counts(db)["access_tokens"], redeemed_codes(db)) == (0, 0)
    if error == "invalid_client":
        assert response.json()["error_description"] == GENERIC
    kind, outcome, detail = last_audit(db)
    # Audited under the client_id the request claimed, known or not.
    claimed = CLAIMED[request.node.callspec.id]
    assert (kind, outcome, detail["reason"], detail["client_id"]) == ("token.rejected", "failure", error, claimed)
    assert bridge_client.post("/token", data=_form(code), auth=BASIC).status_code == 200  # the code is intact


def test_a_code_redeemed_by_another_client_is_refused_and_burnt(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    code = _code(driver)
    response = bridge_client.post("/token", data=_form(code, client_id=PUBLIC_PORTAL_ID, redirect_uri=PUBLIC_REDIRECT))
    _error(response, 400, "invalid_grant", "issued to another client")
    assert last_audit(bridge.config.store.path)[2]["client_id"] == PUBLIC_PORTAL_ID
    _error(bridge_client.post("/token", data=_form(code), auth=BASIC), 400, "invalid_grant", "already used")
    assert counts(bridge.config.store.path)["access_tokens"] == 0


def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    code = _code(driver)
    first = bridge_client.post("/token", data=_form(code), auth=BASIC)
    assert first.status_code == 200
    token = first.json()["access_token"]
    assert _userinfo(bridge_client, token) == 200
    _error(bridge_client.post("/token", data=_form(code), auth=BASIC), 400, "invalid_grant", "already used")
    kind, outcome, detail = last_audit(bridge.config.store.path)
    assert (kind, outcome, detail["revoked_tokens"]) == ("token.code_replayed", "failure", 1)
    assert _userinfo(bridge_client, token) == 401
    assert counts(bridge.config.store.path)["access_tokens"] == 1  # revoked, and no second one


def test_a_code_whose_session_ended_is_refused(bridge_client: TestClient, bridge: Bridge, driver: LoginDriver) -> None:
    code = _code(driver)
    [sid] = session_ids(bridge.config.store.path)
    assert bridge_client.portal is not None
    assert bridge_client.portal.call(bridge.store.end_session, sid, bridge.clock.now(), "admin_logout")
    _error(bridge_client.post("/token", data=_form(code), auth=BASIC), 400, "invalid_grant", "session has ended")
    assert counts(bridge.config.store.path)["access_tokens"] == 0
    assert last_audit(bridge.config.store.path)[:2] == ("token.rejected", "failure")


def test_an_expired_code_is_refused(config: Config) -> None:
    clock = FrozenClock(time.time())  # the upstream mints real timestamps
    with running_bridge(config, clock=clock) as client:
        driver = LoginDriver(client)
        code = _code(driver)
        driver.close()
        clock.advance(config.tokens.code_lifetime_seconds + 1)
        _error(client.post("/token", data=_form(code), auth=BASIC), 400, "invalid_grant", "expired")
        assert counts(config.store.path)["access_tokens"] == 0
        kind, outcome, detail = last_audit(config.store.path)
        assert (kind, outcome, detail["reason"]) == ("token.rejected", "failure", "invalid_grant")


def test_client_secret_post_succeeds(bridge_client: TestClient, driver: LoginDriver) -> None:
    data = {**_form(_code(driver)), "client_id": PORTAL_ID, "client_secret": PORTAL_SECRET}
    response = bridge_client.post("/token", data=data)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert _userinfo(bridge_client, response.json()["access_token"]) == 200


def test_public_client_succeeds_with_pkce(bridge_client: TestClient, bridge: Bridge, driver: LoginDriver) -> None:
    verifier, challenge = pkce_pair("p" * 64)
    code = _code(driver, client_id=PUBLIC_PORTAL_ID, redirect_uri=PUBLIC_REDIRECT, challenge=challenge)
    form = _form(code, client_id=PUBLIC_PORTAL_ID, redirect_uri=PUBLIC_REDIRECT, code_verifier=verifier)
    response = bridge_client.post("/token", data=form)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["token_type"] == "Bearer"
    assert last_audit(bridge.config.store.path)[:2] == ("token.issued", "success")


BODIES = [
    pytest.param({"json": {"grant_type": "authorization_code"}}, 415, "x-www-form-urlencoded", id="json"),
    pytest.param({"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "x-www-form-urlencoded", id="text"),
    pytest.param({"data": {f"f{i}": "1" for i in range(60)}}, 400, "Too many fields", id="too-many-fields"),
    pytest.param({"data": {"grant_type": "authorization_code"}, "files": {"f": b"x"}}, 400, "Too many files",
                 id="file"),
    pytest.param({"data": {"code": "x" * 70_000}}, 413, "too large", id="oversized"),
    pytest.param({"data": {"code": "x" * 2049}}, 400, "'code' is too long", id="long-parameter"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "status", "message"), BODIES)
def test_bad_bodies_are_json_errors(
    bridge_client: TestClient, bridge: Bridge, kwargs: dict[str, Any], status: int, message: str
) -> None:
    _error(bridge_client.post("/token", auth=BASIC, **kwargs), status, "invalid_request", message)
    assert last_audit(bridge.config.store.path)[:2] == ("token.rejected", "failure")
    assert counts(bridge.config.store.path)["access_tokens"] == 0


def test_get_token_is_a_405_page(bridge_client: TestClient) -> None:
    response = bridge_client.get("/token")
    assert response.status_code == 405 and "GET is not supported here" in response.text
