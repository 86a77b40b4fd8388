"""`idp-bridge serve` as an operator runs it: a store it cannot open is one readable line and exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.integration.bridge_process import IDP_BRIDGE, write_config


def test_serve_on_a_store_that_cannot_be_opened_says_so_in_one_line(tmp_path: Path, upstreams: dict[str, str]) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:1", 1, upstreams)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's directory should be")
    text = config.read_text().replace(str(tmp_path / "bridge.sqlite3"), str(blocker / "bridge.sqlite3"))
    assert text != config.read_text()
    config.write_text(text)
    env = {**os.environ, "IDP_BRIDGE_TEST_SECRET_KEY": "k" * 40}
    done = subprocess.run(
        [str(IDP_BRIDGE), "serve", "--config", str(config)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("idp-bridge: cannot open the store (")
    assert str(blocker / "bridge.sqlite3") in lines[0]
