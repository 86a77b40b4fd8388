"""The documented nginx and Caddy snippets (docs/forward-auth.md, extracted verbatim), run by REAL nginx and Caddy
in front of an app that echoes its X-Auth-* headers: client-forged identity headers never reach the app, the
bridge's do, and route-rule bypass spellings are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from idp_bridge.web.header_values import IDENTITY_HEADER_NAMES
from tests.integration.caddy import run_caddy
from tests.integration.doc_snippets import snippet
from tests.integration.forward_auth_stack import ProxyRunner, Stack, proxy_stack
from tests.integration.nginx import run_nginx

IDENTITY_HEADERS = frozenset(IDENTITY_HEADER_NAMES)  # every header the bridge can send
PROXIES: dict[str, ProxyRunner] = {"nginx": run_nginx, "caddy": run_caddy}


def test_every_snippet_sets_or_clears_every_identity_header_the_bridge_can_send() -> None:
    nginx = snippet("nginx")
    set_headers = dict(re.findall(r"proxy_set_header\s+(X-Auth-[\w-]+)\s+(\$\w+);", nginx))
    assert set(set_headers) == IDENTITY_HEADERS
    from_bridge = dict(re.findall(r"auth_request_set\s+(\$\w+)\s+\$upstream_http_(\w+);", nginx))
    for name, variable in set_headers.items():  # each one from the bridge's answer, never from the client
        assert from_bridge.get(variable) == name.lower().replace("-", "_"), name
    caddy = re.search(r"copy_headers ([^\n]+)", snippet("caddyfile"))
    assert caddy and set(caddy.group(1).split()) == IDENTITY_HEADERS
    assert set(re.findall(r"^\s+- (X-Auth-[\w-]+)$", snippet("yaml"), re.M)) == IDENTITY_HEADERS


@pytest.fixture(scope="module", params=sorted(PROXIES))
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str],
    key_file: Path,
) -> Iterator[Stack]:  # fmt: skip
    with proxy_stack(PROXIES[request.param], tmp_path_factory, upstreams, key_file) as running:
        yield running


# Also with underscores: CGI/WSGI servers map X_Auth_Name and X-Auth-Name to the same HTTP_X_AUTH_NAME.
FORGED = {name: "forged-by-the-client" for name in IDENTITY_HEADERS} | {"X-Auth-Acr": "urn:idp-bridge:loa:2"} | {
    name.replace("-", "_"): "forged-by-the-client" for name in IDENTITY_HEADERS
}


@pytest.mark.parametrize("user", ["alice", "erin"])  # erin's upstream sends no email or name
def test_client_forged_identity_headers_are_replaced_or_cleared(stack: Stack, user: str) -> None:
    with stack.browser() as browser:
        signed_out = browser.get(f"{stack.proxy}/reports", headers=FORGED)
        stack.assert_sign_in_redirect(signed_out, "/reports")
        stack.sign_in(browser, user, "/reports")
        bridge = stack.bridge_answer(browser, "/reports")
        assert bridge.status_code == 200
        sent = {k.lower(): v for k, v in bridge.headers.items() if k.lower().startswith("x-auth-")}
        assert "x-auth-user" in sent and "x-auth-amr" in sent
        seen = browser.get(f"{stack.proxy}/reports", headers=FORGED).json()
        assert seen.pop("path") == "/reports"
        # exactly the bridge's headers: forged values replaced, headers the bridge did not send (or sent empty:
        # nginx drops an empty proxy_set_header) gone
        assert {k: v for k, v in seen.items() if v} == {k: v for k, v in sent.items() if v}
        assert "forged-by-the-client" not in seen.values() and seen.get("x-auth-acr") != "urn:idp-bridge:loa:2"


@pytest.mark.parametrize("path", ["/admin;x", "/ADMIN", "/Admin/x", "/public/..;/admin"])
def test_a_case_or_parameter_spelling_of_a_ruled_prefix_needs_the_step_up(stack: Stack, path: str) -> None:
    with stack.browser() as browser:
        stack.sign_in(browser, "carol")  # single-factor
        assert browser.get(f"{stack.proxy}/reports").status_code == 200
        denied = browser.get(f"{stack.proxy}{path}")
        assert denied.status_code == 302 and "/forward-auth/sign-in?rd=" in denied.headers["location"], path


@pytest.mark.parametrize("path", ["/admin%2f..", "/admin%5c..%5cx", "/x%2F..%2Fadmin", "/public/%2e%2e/admin"])
def test_an_encoded_separator_or_dot_never_reaches_the_app(
    stack: Stack, path: str, request: pytest.FixtureRequest
) -> None:
    with stack.browser() as browser:
        stack.sign_in(browser, "carol")
        assert stack.bridge_answer(browser, path).status_code == 400
        refused = browser.get(f"{stack.proxy}{path}")
        if request.node.callspec.params["stack"] == "nginx":
            # auth_request turns any answer but 2xx/401/403 into its own 500 (documented); the app is not reached
            assert refused.status_code == 500 and "x-auth" not in refused.text, path
        else:  # Caddy passes the bridge's readable 400 on
            assert refused.status_code == 400 and "encoded '/'" in refused.text, path


def test_an_api_client_gets_the_json_401_through_caddy_and_a_browser_the_redirect(
    stack: Stack, request: pytest.FixtureRequest
) -> None:
    with stack.browser() as client:
        api = client.get(f"{stack.proxy}/reports", headers={"Accept": "application/json"})
        if request.node.callspec.params["stack"] == "nginx":
            # auth_request passes no body on: the snippet's error_page turns every 401 into the redirect
            stack.assert_sign_in_redirect(api, "/reports")
            return
        assert api.status_code == 401 and api.headers["content-type"] == "application/json", api.text[:300]
        body = api.json()
        assert body["error"] == "login_required"
        assert parse_qs(urlsplit(body["sign_in_url"]).query)["rd"] == [f"{stack.proxy}/reports"]
        stack.assert_sign_in_redirect(client.get(f"{stack.proxy}/reports", headers={"Accept": "text/html"}), "/reports")
