"""GET /login and /login/{provider}: only allowed providers are offered or started; refusals create nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from tests.bridge_harness import (
    PORTAL_ID,
    PUBLIC_PORTAL_ID,
    PUBLIC_REDIRECT,
    LoginDriver,
    authorize_url,
    error_page_text,
    make_config,
    running_bridge,
)
from tests.store_peek import counts, last_audit


@pytest.fixture
def restricted(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> Config:
    """Four configured providers: `extra` is not allowed at all; the console portal may use acme and initech."""
    four = {**upstreams, "initech": upstreams["acme"], "extra": upstreams["globex"]}
    return make_config(
        tmp_path, four, key_file=key_file, allowed=("acme", "globex", "initech"),
        portal_providers={PORTAL_ID: ("acme", "initech")},
    )  # fmt: skip


@pytest.fixture
def client(restricted: Config) -> Iterator[TestClient]:
    with running_bridge(restricted) as bridge_client:
        yield bridge_client


def _db(client: TestClient) -> str:
    path: str = client.app.state.bridge.config.store.path  # type: ignore[attr-defined]
    return path


def _request_id(client: TestClient, **query: str) -> str:
    response = client.get(authorize_url(**query), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?request=")
    return parse_qs(urlsplit(response.headers["location"]).query)["request"][0]


def _offered(client: TestClient, **query: str) -> list[str]:
    result = LoginDriver(client).login(authorize_url(**query))
    assert result.page is not None and result.page.status_code == 200
    return [pid for pid in ("acme", "globex", "initech", "extra") if f'id="provider-{pid}"' in result.page.text]


def test_choice_page_offers_only_the_portals_providers(client: TestClient) -> None:
    assert _offered(client) == ["acme", "initech"]
    assert _offered(client, client_id=PUBLIC_PORTAL_ID, redirect_uri=PUBLIC_REDIRECT) == ["acme", "globex", "initech"]
    assert counts(_db(client))["login_flows"] == 0  # showing the page starts no upstream login


def test_a_portal_restricted_to_one_provider_skips_the_page(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    config = make_config(tmp_path, upstreams, key_file=key_file, portal_providers={PORTAL_ID: ("globex",)})
    with running_bridge(config) as client:
        response = client.get(authorize_url(), follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith(upstreams["globex"] + "/")
        result = LoginDriver(client).login(authorize_url())
        assert "code" in result.params and not any("/login" in step for step in result.steps)


def test_an_allowed_provider_hint_skips_the_page(client: TestClient, upstreams: dict[str, str]) -> None:
    response = client.get(authorize_url(provider_hint="initech"), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith(upstreams["acme"] + "/")  # initech runs on acme's upstream
    assert counts(_db(client))["login_flows"] == 1


DENIED = [
    pytest.param("extra", "provider_not_allowed", "not allowed.", id="not-allowed-globally"),
    pytest.param("nope", "provider_not_allowed", "not allowed.", id="unknown-provider"),
    pytest.param("globex", "provider_not_allowed_for_portal", "not allowed for this application", id="not-for-portal"),
]  # fmt: skip


@pytest.mark.parametrize(("pid", "reason", "message"), DENIED)
def test_provider_hint_for_a_refused_provider_is_403(client: TestClient, pid: str, reason: str, message: str) -> None:
    response = client.get(authorize_url(provider_hint=pid), follow_redirects=False)
    assert response.status_code == 403 and "location" not in response.headers
    assert message in error_page_text(response)[1]
    assert counts(_db(client)) == dict.fromkeys(counts(_db(client)), 0)
    kind, outcome, detail = last_audit(_db(client))
    assert (kind, outcome, detail["reason"], detail["provider_id"]) == ("login.denied", "denied", reason, pid)


@pytest.mark.parametrize(("pid", "reason", "message"), DENIED)
def test_login_path_for_a_refused_provider_is_403(client: TestClient, pid: str, reason: str, message: str) -> None:
    request_id = _request_id(client)
    response = client.get(f"/login/{pid}?request={request_id}", follow_redirects=False)
    assert response.status_code == 403 and "location" not in response.headers
    assert message in error_page_text(response)[1]
    # Only the portal's request (stored by /authorize) exists: no login flow, user, session or code.
    assert counts(_db(client)) == {**dict.fromkeys(counts(_db(client)), 0), "auth_requests": 1}
    kind, outcome, detail = last_audit(_db(client))
    assert (kind, outcome, detail["reason"], detail["provider_id"], detail["client_id"]) == (
        "login.denied", "denied", reason, pid, PORTAL_ID,
    )  # fmt: skip


def test_a_hint_added_to_the_login_url_is_ignored(client: TestClient) -> None:
    # Only the portal's stored request decides; a provider_hint slipped into /login's URL steers nothing.
    request_id = _request_id(client)
    response = client.get(f"/login?request={request_id}&provider_hint=globex", follow_redirects=False)
    assert response.status_code == 200 and 'id="provider-globex"' not in response.text


def test_login_path_for_an_allowed_provider_starts_upstream(client: TestClient, upstreams: dict[str, str]) -> None:
    response = client.get(f"/login/acme?request={_request_id(client)}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith(upstreams["acme"] + "/")
    assert counts(_db(client))["login_flows"] == 1


UNKNOWN_REQUEST = [
    pytest.param("/login?request=bogus", id="choose-bogus"),
    pytest.param("/login", id="choose-missing"),
    pytest.param("/login?request=", id="choose-empty"),
    pytest.param("/login/acme?request=bogus", id="start-bogus"),
    pytest.param("/login/acme", id="start-missing"),
]


@pytest.mark.parametrize("url", UNKNOWN_REQUEST)
def test_unknown_request_id_is_400(client: TestClient, url: str) -> None:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 400
    assert "expired or is unknown" in error_page_text(response)[1]
    assert counts(_db(client)) == dict.fromkeys(counts(_db(client)), 0)
    kind, outcome, detail = last_audit(_db(client))
    assert (kind, outcome, detail["reason"]) == ("login.rejected", "failure", "unknown_auth_request")


@pytest.mark.parametrize("path", ["/login", "/login/acme"])
def test_expired_request_id_is_400(restricted: Config, path: str) -> None:
    clock = FrozenClock(time.time())
    with running_bridge(restricted, clock=clock) as client:
        request_id = _request_id(client)
        clock.advance(restricted.sessions.login_timeout_seconds + 1)
        response = client.get(f"{path}?request={request_id}", follow_redirects=False)
        assert response.status_code == 400
        assert "expired or is unknown" in error_page_text(response)[1]
        assert counts(_db(client))["login_flows"] == 0
        assert last_audit(_db(client))[:2] == ("login.rejected", "failure")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/login?request=a&request=b", "'request' is given more than once"),
        ("/login/acme?request=a%00b", "'request' contains control characters"),
        ("/login?request=" + "x" * 2049, "'request' is too long"),
    ],
)
def test_malformed_login_parameters_are_400(client: TestClient, url: str, message: str) -> None:
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 400 and message in error_page_text(response)[1]
    assert last_audit(_db(client))[:2] == ("login.rejected", "failure")
    assert counts(_db(client)) == dict.fromkeys(counts(_db(client)), 0)
