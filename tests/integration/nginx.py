"""A REAL nginx (Debian's package) for tests: started on a loopback port with a temp prefix and config, in front
of an upstream app, with `auth_request` to the bridge's forward-auth (the snippet of docs/forward-auth.md)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

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
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_request /_idp_bridge_auth;
            # identity headers from the bridge; these REPLACE whatever the client sent under the same names
            auth_request_set $auth_user $upstream_http_x_auth_user;
            auth_request_set $auth_email $upstream_http_x_auth_email;
            auth_request_set $auth_groups $upstream_http_x_auth_groups;
            auth_request_set $auth_amr $upstream_http_x_auth_amr;
            proxy_set_header X-Auth-User $auth_user;
            proxy_set_header X-Auth-Email $auth_email;
            proxy_set_header X-Auth-Groups $auth_groups;
            proxy_set_header X-Auth-Amr $auth_amr;
            # signed out, or a step-up needed: the bridge's 401 carries the sign-in URL in Location
            auth_request_set $auth_redirect $upstream_http_location;
            error_page 401 =302 $auth_redirect;
            proxy_pass {app};
        }}
        location = /_idp_bridge_auth {{
            internal;
            proxy_pass {bridge}/forward-auth;
            proxy_redirect off;  # keep the bridge's Location as is (the default rewrites it into this location)
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Uri $request_uri;
            proxy_set_header X-Forwarded-Method $request_method;
        }}
    }}
}}
"""


@contextlib.contextmanager
def run_nginx(prefix: Path, port: int, *, app: str, bridge: str, timeout: float = 10.0) -> Iterator[str]:
    """nginx on 127.0.0.1:`port` for the `with` block; yields its base URL."""
    if not NGINX.exists():
        raise RuntimeError(f"{NGINX} is missing: `make test` installs Debian's nginx package")
    prefix.mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""  # workers may read the (root-only) temp prefix
    conf = prefix / "nginx.conf"
    conf.write_text(CONFIG.format(user=user, prefix=prefix, port=port, app=app, bridge=bridge))
    command = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log"), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"nginx exited {process.returncode}: {err[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not start listening in time")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
