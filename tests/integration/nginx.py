"""A REAL nginx (Debian's package) for tests: started on a loopback port with a temp prefix and config, in front
of an upstream app, with `auth_request` to the bridge's forward-auth: the server block is the ```nginx snippet of
docs/forward-auth.md itself, with its hosts swapped for loopback ports (tests/integration/doc_snippets.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from tests.integration.doc_snippets import BACKEND, BRIDGE_URL, localised, snippet
from tests.integration.listening_process import listening_process

NGINX = Path("/usr/sbin/nginx")

CONFIG = """
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{server}
}}
"""


def server_block(port: int, *, app: str, bridge: str) -> str:
    """The documented server block, listening on 127.0.0.1:`port` (plain http) in front of `app` and `bridge`."""
    return localised(
        snippet("nginx"),
        {"listen 443 ssl;": f"listen 127.0.0.1:{port};", f"http://{BACKEND}": app, BRIDGE_URL: bridge},
    )


@contextlib.contextmanager
def run_nginx(prefix: Path, port: int, *, app: str, bridge: str, timeout: float = 10.0) -> Iterator[str]:
    """nginx on 127.0.0.1:`port` for the `with` block; yields its base URL."""
    if not NGINX.exists():
        raise RuntimeError(f"{NGINX} is missing: `make test` installs Debian's nginx package")
    prefix.mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""  # workers may read the (root-only) temp prefix
    conf = prefix / "nginx.conf"
    conf.write_text(CONFIG.format(user=user, prefix=prefix, server=server_block(port, app=app, bridge=bridge)))
    command = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log"), "-g", "daemon off;"]
    with listening_process("nginx", command, port, timeout=timeout):
        yield f"http://127.0.0.1:{port}"
