"""The app as a whole: unknown paths and methods get readable pages; every response refuses framing."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.bridge_harness import (
    PORTAL_ID,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    authorize_url,
    error_page_text,
    make_config,
    running_bridge,
)


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


@contextlib.contextmanager
def _write_lock(db: str) -> Iterator[None]:
    """Another process's write lock on the store file (a second instance mid-transaction, a backup tool)."""
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def test_a_store_locked_by_another_process_is_a_503_page_or_json_never_a_500(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    config = make_config(tmp_path, upstreams, key_file=key_file)
    config = config.model_copy(update={"store": config.store.model_copy(update={"busy_timeout_ms": 50})})
    with running_bridge(config) as client:
        with _write_lock(config.store.path):
            page = client.get(authorize_url(), follow_redirects=False)  # stores the portal's request: a write
            token = client.post(
                "/token",
                data={"grant_type": "authorization_code", "code": "c" * 43, "redirect_uri": PORTAL_REDIRECT,
                      "code_verifier": "v" * 43},
                auth=(PORTAL_ID, PORTAL_SECRET),
            )  # fmt: skip
        assert page.status_code == 503 and page.headers["retry-after"] == "5"
        assert error_page_text(page) == (
            "Temporarily unavailable",
            "The bridge cannot reach its data store right now. Nothing was changed; try again in a few seconds.",
        )
        assert token.status_code == 503 and token.headers["retry-after"] == "5"
        assert token.json()["error"] == "temporarily_unavailable"
        # The lock gone, the same request works: the refusal left nothing behind.
        assert client.get(authorize_url(), follow_redirects=False).status_code in (200, 302, 303)


def test_a_full_store_is_a_503_and_the_bridge_recovers_when_space_returns(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    config = make_config(tmp_path, upstreams, key_file=key_file)
    with running_bridge(config) as client:
        store = client.app.state.bridge.store  # type: ignore[attr-defined]
        conn = store._conn  # white-box fault injection: SQLite's own "database or disk is full"
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        refused = 0
        for _ in range(50):  # fill the last free pages, then every write is refused
            answer = client.get(authorize_url(), follow_redirects=False)
            if answer.status_code == 503:
                refused += 1
                assert answer.headers["retry-after"] == "5"
                assert error_page_text(answer)[0] == "Temporarily unavailable"
        assert refused > 0
        conn.execute("PRAGMA max_page_count = 1073741823")
        assert client.get(authorize_url(), follow_redirects=False).status_code in (200, 302, 303)
