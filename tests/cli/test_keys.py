"""`idp-bridge keys --config FILE list|add|activate|retire` on a real key file: each step, and each refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp_bridge.cli.main import main
from idp_bridge.config.model import Config
from idp_bridge.oidc.key_file import describe, read_key_set
from tests.cli.test_admin import _write_config


def _states(config: Config) -> list[str]:
    return [i.state for i in describe(read_key_set(config.signing.key_file), config.signing.algorithm)]


def test_add_activate_and_retire_through_the_command(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "signing.json"  # never the suite's shared key file
    own.write_bytes(Path(config.signing.key_file).read_bytes())
    config = config.model_copy(update={"signing": config.signing.model_copy(update={"key_file": str(own)})})
    cfg = _write_config(config, tmp_path)
    assert main(["keys", "--config", cfg, "add"]) == 0
    new = capsys.readouterr().out.split()[1].rstrip(":")
    assert _states(config) == ["active", "next"]
    assert main(["keys", "--config", cfg, "activate", new]) == 1
    assert "activate it after" in capsys.readouterr().err and _states(config) == ["active", "next"]
    assert main(["keys", "--config", cfg, "activate", new, "--force"]) == 0
    assert _states(config) == ["retired", "active"]
    old = describe(read_key_set(config.signing.key_file), config.signing.algorithm)[0].kid
    assert main(["keys", "--config", cfg, "retire", old]) == 1
    assert "remove it after" in capsys.readouterr().err
    assert main(["keys", "--config", cfg, "list"]) == 0
    listing = capsys.readouterr().out
    assert f"{old}" in listing and "retired" in listing and f"{new}" in listing and "active" in listing
    assert main(["keys", "--config", cfg, "retire", old, "--force"]) == 0
    assert _states(config) == ["active"]
    assert main(["keys", "--config", cfg, "retire", new]) == 1
    assert "only a retired key" in capsys.readouterr().err
