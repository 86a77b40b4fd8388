"""A certified relying party (openid-client) signs in through a real bridge process and a real upstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.bridge_harness import (
    PORTAL_ID,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    PUBLIC_PORTAL_ID,
    PUBLIC_REDIRECT,
    LoginDriver,
    free_port,
)
from tests.integration.bridge_process import run_bridge, write_config
from tests.integration.rp_client import RPError, rp_finish, rp_start


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str]) -> Iterator[str]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = write_config(tmp_path_factory.mktemp("bridge"), issuer, port, upstreams)
    with run_bridge(config, issuer):
        yield issuer


@pytest.fixture
def browser_http(issuer: str) -> Iterator[LoginDriver]:
    client = httpx2.Client(timeout=10.0)
    driver = LoginDriver(client, issuer=issuer)
    yield driver
    driver.close()
    client.close()


def test_confidential_portal_signs_in_with_openid_client(issuer: str, browser_http: LoginDriver) -> None:
    start = rp_start(issuer, PORTAL_ID, PORTAL_REDIRECT, client_secret=PORTAL_SECRET)
    result = browser_http.login(start["url"], provider="acme", user="alice")
    assert result.final_url is not None, result.page.text if result.page else result.steps
    finished = rp_finish(
        issuer, PORTAL_ID, PORTAL_REDIRECT, result.final_url, start["state"], start["nonce"],
        start["code_verifier"], client_secret=PORTAL_SECRET,
    )  # fmt: skip
    claims = finished["claims"]
    assert claims["iss"] == issuer and claims["aud"] == PORTAL_ID
    assert claims["nonce"] == start["nonce"]
    assert claims["email"] == "alice@example.com" and claims["name"] == "Alice Technician"
    assert claims["amr"] == ["pwd"] and claims["acr"] == "urn:idp-bridge:loa:1"
    assert {"auth_time", "sid", "sub", "at_hash"} <= claims.keys()
    assert finished["userinfo"]["sub"] == claims["sub"]
    assert finished["userinfo"]["email"] == "alice@example.com"


def test_public_portal_signs_in_with_pkce_only(issuer: str, browser_http: LoginDriver) -> None:
    start = rp_start(issuer, PUBLIC_PORTAL_ID, PUBLIC_REDIRECT)
    result = browser_http.login(start["url"], provider="globex", user="bob")
    assert result.final_url is not None, result.page.text if result.page else result.steps
    finished = rp_finish(
        issuer, PUBLIC_PORTAL_ID, PUBLIC_REDIRECT, result.final_url, start["state"], start["nonce"],
        start["code_verifier"],
    )  # fmt: skip
    assert finished["claims"]["aud"] == PUBLIC_PORTAL_ID
    assert finished["claims"]["amr"] == ["pwd", "mfa"]
    assert finished["claims"]["acr"] == "urn:idp-bridge:loa:2"


def test_openid_client_refuses_a_code_bound_to_another_verifier(issuer: str, browser_http: LoginDriver) -> None:
    start = rp_start(issuer, PORTAL_ID, PORTAL_REDIRECT, client_secret=PORTAL_SECRET)
    other = rp_start(issuer, PORTAL_ID, PORTAL_REDIRECT, client_secret=PORTAL_SECRET)
    result = browser_http.login(start["url"], provider="acme")
    assert result.final_url is not None
    with pytest.raises(RPError) as failure:
        rp_finish(
            issuer, PORTAL_ID, PORTAL_REDIRECT, result.final_url, start["state"], start["nonce"],
            other["code_verifier"], client_secret=PORTAL_SECRET,
        )  # fmt: skip
    assert failure.value.oauth_error == "invalid_grant"


def test_bridge_process_reports_config_errors_all_at_once(tmp_path: Path) -> None:
    import subprocess

    from tests.integration.bridge_process import IDP_BRIDGE

    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nissuer = "ftp://x"\nport = 70000\ncolour = "blue"\n[policy]\nallowed_providers = []\n')
    proc = subprocess.run(
        [str(IDP_BRIDGE), "check-config", str(bad)], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 2
    lines = proc.stdout.strip().splitlines()
    assert "server.issuer: must be an absolute http(s) URL (got 'ftp://x')" in lines
    assert "server.port: must be between 1 and 65535 (got '70000')" in lines
    assert "server.colour: unknown option (got 'blue')" in lines
    assert "policy.allowed_providers: must name at least one provider (got [])" in lines
    assert "Traceback" not in proc.stdout + proc.stderr
