"""The app as a whole: unknown paths and methods get readable pages; every response refuses framing."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.bridge_harness import authorize_url, error_page_text


def test_unknown_path_is_a_readable_404_page(bridge_client: TestClient) -> None:
    response = bridge_client.get("/nope/../../etc/passwd")
    assert response.status_code == 404
    assert error_page_text(response) == ("Page not found", "There is nothing at this address.")


@pytest.mark.parametrize(("method", "path"), [("GET", "/token"), ("DELETE", "/authorize"), ("PUT", "/jwks")])
def test_wrong_method_is_a_readable_405_page(bridge_client: TestClient, method: str, path: str) -> None:
    response = bridge_client.request(method, path)
    assert response.status_code == 405
    assert error_page_text(response) == ("Method not allowed", f"{method} is not supported here.")


def test_405_names_the_allowed_methods(bridge_client: TestClient) -> None:
    assert bridge_client.get("/token").headers["allow"] == "POST"  # RFC 9110 §15.5.6: MUST send Allow


RESPONSES = [
    pytest.param("GET", "/nope", {}, id="404"),
    pytest.param("GET", "/token", {}, id="405"),
    pytest.param("GET", authorize_url(), {}, id="redirect"),
    pytest.param("GET", authorize_url(client_id="nope"), {}, id="error-page"),
    pytest.param("GET", "/.well-known/openid-configuration", {}, id="json"),
    pytest.param("POST", "/token", {"data": {"grant_type": "x"}}, id="oauth-error"),
    pytest.param("GET", "/userinfo", {}, id="401"),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), RESPONSES)
def test_every_response_refuses_framing(
    bridge_client: TestClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = bridge_client.request(method, path, follow_redirects=False, **kwargs)
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get_list("x-frame-options") == ["DENY"]  # added once, not per layer
