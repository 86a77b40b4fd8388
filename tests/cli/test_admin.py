"""`idp-bridge policy export|apply`, `idp-bridge admin token ...` and check-config's emergency-access warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w

from idp_bridge.cli.main import main
from idp_bridge.config.model import Config
from tests.store_peek import audit_types


def _write_config(config: Config, tmp_path: Path) -> str:
    data = config.model_dump(mode="json", exclude_none=True)
    data["server"]["secret_key"] = "s" * 40
    for portal in data["portals"].values():
        if "client_secret" in portal:
            portal["client_secret"] = "console-secret-0123456789"
    for provider in data["providers"].values():
        provider["client_secret"] = "upstream-secret"
    path = tmp_path / "bridge.toml"
    path.write_text(tomli_w.dumps(data))
    return str(path)


def test_policy_export_apply_and_tokens(config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write_config(config, tmp_path)
    assert main(["policy", "--config", cfg, "export"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["allowed_providers"] == ["acme", "globex"]

    exported["allowed_providers"] = ["globex"]
    wanted = tmp_path / "policy.json"
    wanted.write_text(json.dumps(exported))
    assert main(["policy", "--config", cfg, "apply", str(wanted)]) == 1  # no terminal, no --yes: not applied
    out = capsys.readouterr()
    assert '-    "acme",' in out.out and "pass --yes" in out.err
    assert main(["policy", "--config", cfg, "apply", str(wanted), "--yes", "--comment", "from git"]) == 0
    assert "saved policy version 2" in capsys.readouterr().out
    assert main(["policy", "--config", cfg, "export"]) == 0
    assert json.loads(capsys.readouterr().out)["allowed_providers"] == ["globex"]
    assert main(["policy", "--config", cfg, "apply", str(wanted), "--yes"]) == 0
    assert "no change" in capsys.readouterr().out

    bad = tmp_path / "bad.toml"
    bad.write_text('allowed_providers = ["okta"]\n')
    assert main(["policy", "--config", cfg, "apply", str(bad), "--yes"]) == 2
    assert "policy.allowed_providers: unknown provider (got 'okta')" in capsys.readouterr().err

    assert main(["admin", "--config", cfg, "token", "create", "--scope", "audit:read", "--expires", "30d"]) == 0
    bearer = capsys.readouterr().out.strip()
    assert bearer.startswith("ibt_")
    assert main(["admin", "--config", cfg, "token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "live" in listed and "audit:read" in listed and bearer not in listed
    assert main(["admin", "--config", cfg, "token", "create", "--scope", "audit:read", "--expires", "soon"]) == 2
    assert "expires" in capsys.readouterr().err
    assert ("admin.token.created", "success") in audit_types(config.store.path)
    assert ("policy.changed", "success") in audit_types(config.store.path)

    assert main(["check-config", cfg]) == 0
    assert "warning: emergency access: only 0 Super Admin(s) have MFA enrolled" in capsys.readouterr().out
