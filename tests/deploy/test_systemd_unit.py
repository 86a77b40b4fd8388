"""deploy/idp-bridge.service: systemd reads it without a complaint, and its exposure stays low (systemd-analyze)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "idp-bridge.service"
SHIPPED_BINARY = "/opt/idp-bridge/bin/idp-bridge"
MAX_EXPOSURE = 20  # systemd-analyze's 0-100 scale, printed /10: 2.0 and below is "OK"


def _unit_here(tmp_path: Path, text: str | None = None) -> Path:
    """The unit as shipped, its ExecStart pointing at this checkout's command (verify checks that it exists)."""
    body = (text if text is not None else UNIT.read_text()).replace(
        SHIPPED_BINARY, str(Path(sys.executable).parent / "idp-bridge")
    )
    unit = tmp_path / "idp-bridge.service"
    unit.write_text(body)
    return unit


def _verify(unit: Path) -> list[str]:
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # Other units of the machine may be reported too; only this file's lines count.
    return [line for line in (done.stdout + done.stderr).splitlines() if unit.name in line] + (
        [f"exit {done.returncode}"] if done.returncode else []
    )


def test_the_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    assert SHIPPED_BINARY in UNIT.read_text()
    assert _verify(_unit_here(tmp_path)) == []


def test_a_broken_setting_is_reported(tmp_path: Path) -> None:
    broken = UNIT.read_text().replace("ProtectSystem=strict", "ProtectSystem=sometimes")
    assert any("ProtectSystem" in line or "protect system" in line for line in _verify(_unit_here(tmp_path, broken)))


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    unit = _unit_here(tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", f"--threshold={MAX_EXPOSURE}", str(unit)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    assert "Overall exposure level" in done.stdout
