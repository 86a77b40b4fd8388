"""Running the bridge as a real process (`idp-bridge serve`) from a TOML file, for integration tests."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx2
import tomli_w

from tests.bridge_harness import PORTAL_ID, PORTAL_REDIRECT, PORTAL_SECRET, PUBLIC_PORTAL_ID, PUBLIC_REDIRECT

IDP_BRIDGE = Path(sys.executable).parent / "idp-bridge"


def write_config(directory: Path, issuer: str, port: int, upstreams: Mapping[str, str]) -> Path:
    """A TOML file as an operator would write it: secrets from the environment and from a file."""
    (directory / "portal-secret").write_text(PORTAL_SECRET + "\n")
    data = {
        "server": {
            "issuer": issuer,
            "host": "127.0.0.1",
            "port": port,
            "dev_mode": True,
            "secret_key": {"env": "IDP_BRIDGE_TEST_SECRET_KEY"},
        },
        "store": {"path": str(directory / "bridge.sqlite3")},
        "signing": {"key_file": str(directory / "signing.json"), "algorithm": "RS256"},
        "policy": {"allowed_providers": list(upstreams)},
        "mfa": {"required": False},  # these tests are about the OIDC side; tests/mfa cover MFA
        "providers": {
            pid: {
                "kind": "oidc",
                "display_name": f"{pid.title()} SSO",
                "issuer": url,
                "client_id": f"bridge-at-{pid}",
                "client_secret": "upstream-secret",
            }
            for pid, url in upstreams.items()
        },
        "portals": {
            PORTAL_ID: {
                "display_name": "Device console",
                "client_secret": {"file": str(directory / "portal-secret")},
                "redirect_uris": [PORTAL_REDIRECT],
            },
            PUBLIC_PORTAL_ID: {"display_name": "Admin dashboard", "redirect_uris": [PUBLIC_REDIRECT]},
        },
    }
    path = directory / "bridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path


@contextlib.contextmanager
def run_bridge(
    config_path: Path, issuer: str, timeout: float = 20.0, workers: int = 1
) -> Iterator[subprocess.Popen[str]]:
    env = {"IDP_BRIDGE_TEST_SECRET_KEY": "k" * 40, "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [str(IDP_BRIDGE), "serve", "--config", str(config_path), "--workers", str(workers)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"idp-bridge exited {process.returncode}: {process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("idp-bridge did not answer discovery in time")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
