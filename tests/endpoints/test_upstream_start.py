"""Starting the upstream login: what the portal asked for is passed on, and the browser is bound to the flow."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from tests.bridge_harness import authorize_query


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
    assert "path=/callback" in binding and "samesite=lax" in binding


def test_prompt_consent_is_not_forwarded(bridge_client: TestClient) -> None:
    query = authorize_query(prompt="consent", provider_hint="acme")
    response = bridge_client.get("/authorize?" + urlencode(query), follow_redirects=False)
    upstream = parse_qs(urlsplit(response.headers["location"]).query)
    assert "prompt" not in upstream
