"""The `idp-bridge` command as a real process: a config or store it cannot use stops `serve` (one readable line,
exit 2, no traceback) and fails `check-config`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.config.loader_harness import DELETE, edited, write
from tests.integration.bridge_process import IDP_BRIDGE, write_config

JUNK_KEY = "-----BEGIN PRIVATE KEY-----\nnot-really\n-----END PRIVATE KEY-----"
ENTRA = {
    "kind": "entra", "display_name": "Microsoft", "tenant": "11111111-2222-4333-8444-555555555555",
    "client_id": "app", "client_certificate": {"private_key": JUNK_KEY, "thumbprint": "A" * 40},
}  # fmt: skip
KEY_LINE = (
    "providers.ms.client_certificate.private_key: is not a PEM private key "
    "(-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----) (got '***')"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "idp_bridge.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_a_junk_entra_private_key_fails_check_config_and_stops_serve(tmp_path: Path) -> None:
    config = write(tmp_path, edited({"providers.ms": ENTRA, "policy.allowed_providers": ["corp", "ms"],
                                     "server.port": 1, "store": {"path": str(tmp_path / "s.db")}}))  # fmt: skip
    checked = _run("check-config", str(config))
    assert (checked.returncode, checked.stdout.splitlines()) == (2, [KEY_LINE])
    served = _run("serve", "--config", str(config))
    assert served.returncode == 2 and KEY_LINE in served.stderr + served.stdout
    assert "Traceback" not in served.stderr and "not-really" not in served.stderr + served.stdout
    assert not (tmp_path / "s.db").exists()  # refused before anything was created


def test_check_config_reports_an_unset_variable_and_the_other_problems_in_one_run(tmp_path: Path) -> None:
    entra = {**ENTRA, "client_certificate": DELETE, "client_secret": {"env": "IDP_TEST_UNSET_SECRET"},
             "tenant": "organizations"}  # fmt: skip
    entra = {k: v for k, v in entra.items() if v is not DELETE}
    config = write(tmp_path, edited({"providers.ms": entra, "policy.allowed_providers": ["corp", "ms"]}))
    checked = _run("check-config", str(config))
    assert checked.returncode == 2
    assert checked.stdout.splitlines() == [
        'providers.ms: allowed_tenants: must list the tenant ids allowed to sign in when tenant = "organizations" '
        "(an empty list would allow every Microsoft tenant)",
        "providers.ms.client_secret: environment variable 'IDP_TEST_UNSET_SECRET' is not set",
    ]


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
