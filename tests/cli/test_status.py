"""`idp-bridge status --config FILE`: the operator's one screen, on a real store after real logins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from idp_bridge.cli.main import main
from idp_bridge.config.model import Config
from tests.bridge_harness import LoginDriver, authorize_url
from tests.cli.test_admin import _write_config


def test_status_after_two_logins(
    config: Config, bridge_client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for user in ("alice", "bob"):
        driver = LoginDriver(bridge_client)
        try:
            assert "code" in driver.login(authorize_url(provider_hint="acme"), user=user).params
        finally:
            driver.close()
        bridge_client.cookies.clear()
    cfg = _write_config(config, tmp_path)
    assert main(["status", "--config", cfg]) == 1  # no Super Admin with MFA: the emergency check fails
    screen = capsys.readouterr().out
    assert re.search(r"^store: +sqlite .*: reachable$", screen, re.M), screen
    assert re.search(r"^live sessions: +2$", screen, re.M), screen
    assert re.search(r"^technicians: +2, 0 with an authenticator app$", screen, re.M), screen
    assert re.search(r"^super admins: +0, 0 with MFA enrolled$", screen, re.M), screen
    assert re.search(r"^warning: +emergency access: only 0 Super Admin", screen, re.M), screen
    assert re.search(r"^signing key: +\S+ RS256 active, added ", screen, re.M), screen


def test_status_of_a_store_that_cannot_be_reached(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    unreachable = config.model_copy(update={"store": config.store.model_copy(update={"path": str(blocker / "s.db")})})
    assert main(["status", "--config", _write_config(unreachable, tmp_path)]) == 1
    assert "NOT reachable" in capsys.readouterr().out
