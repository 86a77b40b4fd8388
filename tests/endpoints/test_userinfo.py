"""GET|POST /userinfo: the bearer token in the Authorization header or (POST, RFC 6750 §2.2) a form body, never
both; without a live one the answer is a 401 with a Bearer challenge, audited."""

from __future__ import annotations

import time

import httpx2
import pytest
from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from idp_bridge.web.request_params import MAX_BODY_BYTES
from tests.bridge_harness import (
    PORTAL_ID,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    LoginDriver,
    authorize_url,
    pkce_pair,
    running_bridge,
)
from tests.store_peek import audit_count, last_audit, session_ids


def _access_token(client: TestClient, driver: LoginDriver) -> str:
    code = driver.login(authorize_url(provider_hint="acme")).params["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_REDIRECT,
            "code_verifier": pkce_pair()[0]}  # fmt: skip
    response = client.post("/token", data=form, auth=(PORTAL_ID, PORTAL_SECRET))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _assert_401(client: TestClient, headers: dict[str, str], error: str | None, description: str, reason: str) -> None:
    db: str = client.app.state.bridge.config.store.path  # type: ignore[attr-defined]
    before = audit_count(db)
    response = client.get("/userinfo", headers=headers)
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="idp-bridge"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    assert description in response.json()["error_description"]
    assert "sub" not in response.json()
    assert audit_count(db) == before + 1
    kind, outcome, detail = last_audit(db)
    assert (kind, outcome, detail["reason"]) == ("userinfo.rejected", "failure", reason)


REJECTED = [
    pytest.param({}, None, "Bearer access token is required", "missing_token", id="no-token"),
    pytest.param({"Authorization": "Basic YTpi"}, None, "Bearer access token is required", "missing_token",
                 id="wrong-scheme"),
    pytest.param({"Authorization": "Bearer"}, None, "Bearer access token is required", "missing_token",
                 id="empty-bearer"),
    pytest.param({"Authorization": "Bearer    "}, None, "Bearer access token is required", "missing_token",
                 id="blank-bearer"),
    pytest.param({"Authorization": "Bearer not-a-token"}, "invalid_token", "invalid, expired", "invalid_token",
                 id="unknown-token"),
    pytest.param({"Authorization": "Bearer " + "t" * 513}, "invalid_token", "malformed", "malformed_token",
                 id="oversized-token"),
]  # fmt: skip


@pytest.mark.parametrize(("headers", "error", "description", "reason"), REJECTED)
def test_requests_without_a_valid_token_are_401(
    bridge_client: TestClient, headers: dict[str, str], error: str | None, description: str, reason: str
) -> None:
    _assert_401(bridge_client, headers, error, description, reason)


def test_a_token_in_the_query_is_not_accepted(bridge_client: TestClient, driver: LoginDriver) -> None:
    token = _access_token(bridge_client, driver)
    response = bridge_client.get(f"/userinfo?access_token={token}")
    assert response.status_code == 401


def test_a_token_works_by_get_and_post(bridge_client: TestClient, driver: LoginDriver) -> None:
    headers = {"Authorization": f"Bearer {_access_token(bridge_client, driver)}"}
    assert bridge_client.get("/userinfo", headers=headers).json()["email"] == "alice@example.com"
    assert bridge_client.post("/userinfo", headers=headers).status_code == 200
    scheme_in_lower_case = {"Authorization": headers["Authorization"].replace("Bearer", "bearer")}
    assert bridge_client.get("/userinfo", headers=scheme_in_lower_case).status_code == 200  # RFC 9110 §11.1


def test_a_token_whose_session_ended_is_401(bridge_client: TestClient, bridge: Bridge, driver: LoginDriver) -> None:
    token = _access_token(bridge_client, driver)
    headers = {"Authorization": f"Bearer {token}"}
    assert bridge_client.get("/userinfo", headers=headers).status_code == 200
    [sid] = session_ids(bridge.config.store.path)
    assert bridge_client.portal is not None
    assert bridge_client.portal.call(bridge.store.end_session, sid, bridge.clock.now(), "admin_logout")
    _assert_401(bridge_client, headers, "invalid_token", "session has ended", "invalid_token")


def test_an_expired_token_is_401(config: Config) -> None:
    clock = FrozenClock(time.time())
    with running_bridge(config, clock=clock) as client:
        driver = LoginDriver(client)
        headers = {"Authorization": f"Bearer {_access_token(client, driver)}"}
        driver.close()
        clock.advance(config.tokens.access_token_lifetime_seconds - 1)
        assert client.get("/userinfo", headers=headers).status_code == 200
        clock.advance(1)
        _assert_401(client, headers, "invalid_token", "expired", "invalid_token")


def test_a_token_in_a_form_body_is_accepted(bridge_client: TestClient, driver: LoginDriver) -> None:
    """RFC 6750 §2.2: `access_token` as an application/x-www-form-urlencoded POST body."""
    token = _access_token(bridge_client, driver)
    response = bridge_client.post("/userinfo", data={"access_token": token})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "alice@example.com"


def _assert_400(response: httpx2.Response, db: str, status: int, description: str, reason: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == "invalid_request" and description in response.json()["error_description"]
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    assert "sub" not in response.json()
    kind, outcome, detail = last_audit(db)
    assert (kind, outcome, detail["reason"]) == ("userinfo.rejected", "failure", reason)


def test_a_token_in_both_the_header_and_the_body_is_refused(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    token = _access_token(bridge_client, driver)
    both = {"Authorization": f"Bearer {token}"}
    response = bridge_client.post("/userinfo", data={"access_token": token}, headers=both)
    _assert_400(response, bridge.config.store.path, 400, "not both", "two_tokens")


def test_a_token_in_a_json_or_multipart_body_is_refused(
    bridge_client: TestClient, bridge: Bridge, driver: LoginDriver
) -> None:
    token = _access_token(bridge_client, driver)
    db = bridge.config.store.path
    _assert_400(bridge_client.post("/userinfo", json={"access_token": token}), db, 400, "urlencoded", "bad_body")
    multipart = bridge_client.post("/userinfo", data={"access_token": token}, files={"f": ("f", b"x")})
    _assert_400(multipart, db, 400, "urlencoded", "bad_body")


def test_an_oversized_form_body_is_refused_before_it_is_read(bridge_client: TestClient, bridge: Bridge) -> None:
    response = bridge_client.post(
        "/userinfo", content=b"access_token=" + b"a" * (MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    _assert_400(response, bridge.config.store.path, 413, "too large", "bad_body")


def test_an_unknown_token_in_the_body_is_401(bridge_client: TestClient, bridge: Bridge) -> None:
    response = bridge_client.post("/userinfo", data={"access_token": "not-a-token"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    assert last_audit(bridge.config.store.path)[2]["reason"] == "invalid_token"
