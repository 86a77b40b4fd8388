"""idp_bridge.admin.api.common: JSON bodies are bounded in size and nesting before parsing; refusals are audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp_bridge.admin.api.common import MAX_BODY
from idp_bridge.config.model import Config
from tests.admin.api.api_harness import AdminBridge, admin_bridge, error_of
from tests.store_peek import last_audit


def _state(b: AdminBridge, token: str) -> tuple[int, int]:
    """(policy version, number of API tokens): what the three endpoints could change."""
    return b.api("GET", "/policy", token).json()["version"], len(b.api("GET", "/tokens", token).json()["tokens"])


BODY_ENDPOINTS = [("PUT", "/policy"), ("POST", "/policy/dry-run"), ("POST", "/tokens")]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS, ids=[f"{m} {p}" for m, p in BODY_ENDPOINTS])
def test_deeply_nested_json_is_a_400_naming_the_depth_and_changes_nothing(
    config: Config, method: str, path: str
) -> None:
    with admin_bridge(config) as b:
        token = b.token()
        before = _state(b, token)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        response = b.client.request(method, "/admin/api" + path, content=b"[" * 100_000, headers=headers)
        assert error_of(response, 400) == "invalid_json"
        assert response.json()["message"] == "The body is nested more than 64 levels deep."
        kind, outcome, detail = last_audit(b.db)
        assert (kind, outcome, detail["reason"], detail["path"]) == ("admin.rejected", "failure", "invalid_json",
                                                                     "/admin/api" + path)  # fmt: skip
        assert _state(b, token) == before


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        sent += 64 * 1024
        yield b" " * (64 * 1024)


def test_an_oversized_body_is_a_413_also_when_sent_chunked_without_a_length(config: Config) -> None:
    with admin_bridge(config) as b:
        token = b.token("policy:write")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        declared = b.client.put("/admin/api/policy", content=b" " * (MAX_BODY + 1), headers=headers)
        assert error_of(declared, 413) == "too_large"
        chunked = b.client.put("/admin/api/policy", content=_chunks(16 * MAX_BODY), headers=headers)
        assert error_of(chunked, 413) == "too_large"
        assert chunked.json()["message"] == f"The body is larger than {MAX_BODY} bytes."
        assert last_audit(b.db)[2]["reason"] == "too_large"
        assert b.api("GET", "/policy", token).json()["version"] == 1
