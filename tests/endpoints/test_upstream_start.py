"""Starting the upstream login: what the portal asked for is passed on, and the browser is bound to the flow."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from tests.bridge_harness import authorize_query, error_page_text, free_port, make_config, running_bridge
from tests.store_peek import counts, last_audit


def test_login_hint_prompt_and_max_age_reach_the_upstream(bridge_client: TestClient, bridge: Bridge) -> None:
    query = authorize_query(login_hint="alice@example.com", prompt="login", max_age=300, provider_hint="acme")
    response = bridge_client.get("/authorize?" + urlencode(query), follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    upstream = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert upstream["login_hint"] == "alice@example.com"
    assert upstream["prompt"] == "login"
    assert upstream["max_age"] == "300"
    assert upstream["redirect_uri"] == f"{bridge.issuer}/callback/acme"  # one redirect URI per upstream
    assert upstream["code_challenge_method"] == "S256" and upstream["state"] and upstream["nonce"]
    # The portal's own state, nonce and PKCE challenge are never forwarded upstream.
    assert upstream["state"] != "portal-state" and upstream["nonce"] != "portal-nonce"
    assert upstream["code_challenge"] != query["code_challenge"]
    binding = response.headers["set-cookie"].lower()
    assert binding.startswith(bridge.browser_cookie_name) and "httponly" in binding
    assert "path=/;" in binding and "samesite=lax" in binding


def _binding_set_by(response_headers: str, name: str) -> str:
    assert response_headers.startswith(name + "="), response_headers
    return response_headers.split(";")[0].split("=", 1)[1]


def test_every_upstream_login_mints_a_new_binding_and_never_reuses_the_browsers(
    bridge_client: TestClient, bridge: Bridge
) -> None:
    bridge_client.cookies.set(bridge.browser_cookie_name, "planted-binding-value", path="/")
    url = "/authorize?" + urlencode(authorize_query(provider_hint="acme"))
    first = bridge_client.get(url, follow_redirects=False)
    second = bridge_client.get(url, follow_redirects=False)
    values = {_binding_set_by(r.headers["set-cookie"], bridge.browser_cookie_name) for r in (first, second)}
    assert len(values) == 2 and "planted-binding-value" not in values
    assert all(len(v) >= 32 for v in values)  # 24 random bytes, base64url


def test_prompt_consent_is_not_forwarded(bridge_client: TestClient) -> None:
    query = authorize_query(prompt="consent", provider_hint="acme")
    response = bridge_client.get("/authorize?" + urlencode(query), follow_redirects=False)
    upstream = parse_qs(urlsplit(response.headers["location"]).query)
    assert "prompt" not in upstream


def test_authorize_stores_the_request_with_the_login_flow_and_nothing_when_the_upstream_is_down(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens: discovery fails
    config = make_config(tmp_path, {**upstreams, "down": down}, key_file=key_file)
    with running_bridge(config) as client:
        db = config.store.path
        ok = client.get("/authorize?" + urlencode(authorize_query(provider_hint="acme")), follow_redirects=False)
        assert ok.status_code == 303
        assert (counts(db)["auth_requests"], counts(db)["login_flows"]) == (1, 1)
        failed = client.get("/authorize?" + urlencode(authorize_query(provider_hint="down")), follow_redirects=False)
        assert failed.status_code == 502
        assert error_page_text(failed)[0] == "Sign-in provider unavailable"
        assert (counts(db)["auth_requests"], counts(db)["login_flows"]) == (1, 1)  # nothing more stored
        kind, outcome, detail = last_audit(db)
        assert (kind, outcome, detail["provider_id"]) == ("login.failed", "failure", "down")


def test_an_unreachable_upstream_shows_a_plain_page_with_a_retry_link_and_keeps_the_detail_in_the_audit(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens: discovery fails
    config = make_config(tmp_path, {**upstreams, "down": down}, key_file=key_file)
    with running_bridge(config) as client:
        url = "/authorize?" + urlencode(authorize_query(provider_hint="down"))
        failed = client.get(url, follow_redirects=False)
        assert failed.status_code == 502
        title, message = error_page_text(failed)
        assert title == "Sign-in provider unavailable"
        assert message == "Down SSO cannot be reached right now. Please try again in a moment."
        # Neither the upstream's address nor the exception class reaches the browser.
        assert down not in failed.text and "openid-configuration" not in failed.text
        assert "ConnectError" not in failed.text
        retry = re.search(r'<a id="retry" class="button" href="([^"]+)"', failed.text)
        assert retry is not None and html.unescape(retry.group(1)) == url
        kind, outcome, detail = last_audit(config.store.path)
        assert (kind, outcome) == ("login.failed", "failure")
        assert down in detail["description"] and "ConnectError" in detail["description"]
