"""Headers on every bridge response: Strict-Transport-Security outside dev mode (configurable max-age), never in
dev mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.config.model import Config
from tests.bridge_harness import make_config

HTTPS_ISSUER = "https://127.0.0.1:8999"
PATHS = ("/.well-known/openid-configuration", "/authorize?client_id=nope", "/no-such-page", "/forward-auth")


def _outside_dev_mode(config: Config, **server: object) -> Config:
    return config.model_copy(
        update={"server": config.server.model_copy(update={"dev_mode": False, "issuer": HTTPS_ISSUER, **server})}
    )


def _hsts_values(config: Config) -> set[str | None]:
    with TestClient(create_app(config), base_url=config.server.issuer) as client:
        return {client.get(path, follow_redirects=False).headers.get("strict-transport-security") for path in PATHS}


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        pytest.param({}, "max-age=31536000; includeSubDomains", id="default-one-year"),
        pytest.param({"hsts_max_age_seconds": 600}, "max-age=600; includeSubDomains", id="configured"),
        pytest.param({"hsts_max_age_seconds": 0}, None, id="turned-off"),
    ],
)
def test_hsts_is_on_every_response_outside_dev_mode(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path, server: dict[str, object], expected: str | None
) -> None:
    config = _outside_dev_mode(make_config(tmp_path, upstreams, key_file=key_file), **server)
    assert _hsts_values(config) == {expected}


def test_no_hsts_in_dev_mode(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    # A dev bridge on plain http must not pin 127.0.0.1 to https in the developer's browser.
    assert _hsts_values(make_config(tmp_path, upstreams, key_file=key_file)) == {None}
