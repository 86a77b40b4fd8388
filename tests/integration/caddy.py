"""A REAL Caddy (Debian's package) for tests: started on a loopback port with its own Caddyfile and data
directory (never as a service), in front of an upstream app, with `forward_auth` to the bridge: the site block is
the ```caddyfile snippet of docs/forward-auth.md itself, with its hosts swapped for loopback ports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from tests.integration.doc_snippets import APP_HOST, BACKEND, BRIDGE_URL, localised, snippet
from tests.integration.listening_process import listening_process

CADDY = Path("/usr/bin/caddy")

# No admin endpoint, no certificates, and every listener on loopback only.
GLOBAL_OPTIONS = """{
    admin off
    auto_https off
    default_bind 127.0.0.1
}
"""


def site_block(port: int, *, app: str, bridge: str) -> str:
    """The documented site block, served over plain http on 127.0.0.1:`port` in front of `app` and `bridge`."""
    return localised(
        snippet("caddyfile"),
        {APP_HOST: f"http://127.0.0.1:{port}", BRIDGE_URL: bridge, BACKEND: urlsplit(app).netloc},
    )


@contextlib.contextmanager
def run_caddy(directory: Path, port: int, *, app: str, bridge: str, timeout: float = 15.0) -> Iterator[str]:
    """Caddy on 127.0.0.1:`port` for the `with` block; yields its base URL."""
    if not CADDY.exists():
        raise RuntimeError(f"{CADDY} is missing: `make test` installs Debian's caddy package")
    directory.mkdir(parents=True, exist_ok=True)
    caddyfile = directory / "Caddyfile"
    caddyfile.write_text(GLOBAL_OPTIONS + site_block(port, app=app, bridge=bridge))
    # Caddy keeps its state under $HOME / $XDG_*: a directory of the test's own, never the machine's.
    env = {"HOME": str(directory), "XDG_DATA_HOME": str(directory / "data"),
           "XDG_CONFIG_HOME": str(directory / "config"), "PATH": "/usr/bin:/bin"}  # fmt: skip
    command = [str(CADDY), "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
    with listening_process("caddy", command, port, env=env, timeout=timeout):
        yield f"http://127.0.0.1:{port}"
