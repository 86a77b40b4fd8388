"""Behind a REAL nginx as trusted proxy, `idp-bridge serve` (a real process) records the forwarded client address
and nginx's request id on an admin action's audit event and in its JSON access log; a client that is not a trusted
proxy cannot spoof either. nginx connects from 127.0.0.2 (`proxy_bind`), the client from 127.0.0.3, so the three
addresses differ on one loopback interface."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import tomli_w

from tests.bridge_harness import free_port
from tests.integration.bridge_process import IDP_BRIDGE, run_bridge, write_config
from tests.integration.listening_process import listening_process
from tests.integration.nginx import CONFIG, NGINX

PROXY_ADDRESS = "127.0.0.2"
CLIENT_ADDRESS = "127.0.0.3"
SPOOFED = "198.51.100.23"
ENV = {"IDP_BRIDGE_TEST_SECRET_KEY": "k" * 40, "PATH": "/usr/bin:/bin"}

SERVER = """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{bridge_port};
            proxy_bind {proxy};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Request-ID $request_id;
        }}
    }}
"""


@contextlib.contextmanager
def proxying_nginx(prefix: Path, port: int, bridge_port: int) -> Iterator[str]:
    if not NGINX.exists():
        raise RuntimeError(f"{NGINX} is missing: `make test` installs Debian's nginx package")
    prefix.mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    server = SERVER.format(port=port, bridge_port=bridge_port, proxy=PROXY_ADDRESS)
    conf = prefix / "nginx.conf"
    conf.write_text(CONFIG.format(user=user, prefix=prefix, server=server))
    command = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log"), "-g", "daemon off;"]
    with listening_process("nginx", command, port):
        yield f"http://127.0.0.1:{port}"


def _api_token(config_path: Path) -> str:
    command = [str(IDP_BRIDGE), "admin", "--config", str(config_path), "token", "create", "--scope", "policy:write",
               "--expires", "1d"]  # fmt: skip
    return subprocess.run(command, env=ENV, capture_output=True, text=True, check=True).stdout.strip()


def _policy_events(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(
            "SELECT ip, request_id, user_agent FROM audit_events WHERE type = 'policy.changed' ORDER BY rowid"
        ))  # fmt: skip


def _config(tmp_path: Path, port: int) -> Path:
    issuer = f"http://127.0.0.1:{port}"
    path = write_config(tmp_path, issuer, port, {"corp": "http://127.0.0.1:9/corp", "globex": "http://127.0.0.1:9/g"})
    data: dict[str, Any] = tomllib.loads(path.read_text())
    data["server"]["trusted_proxies"] = [f"{PROXY_ADDRESS}/32"]
    data["logging"] = {"format": "json"}
    path.write_text(tomli_w.dumps(data))
    return path


def test_an_admin_action_behind_nginx_records_the_forwarded_client_and_request_id_and_direct_spoofs_fail(
    tmp_path: Path,
) -> None:
    port = free_port()
    path = _config(tmp_path, port)
    headers = {"Authorization": f"Bearer {_api_token(path)}", "User-Agent": "ops-test/1.0",
               "X-Forwarded-For": SPOOFED, "X-Request-ID": "forged-request-id"}  # fmt: skip
    client = httpx2.Client(transport=httpx2.HTTPTransport(local_address=CLIENT_ADDRESS), timeout=10)
    with run_bridge(path, f"http://127.0.0.1:{port}") as process:
        with proxying_nginx(tmp_path / "nginx", free_port(), port) as proxy:
            via_proxy = client.put(f"{proxy}/admin/api/policy", headers=headers,
                                   json={"policy": {"allowed_providers": ["globex"]}, "comment": "via nginx"})
        direct = client.put(f"http://127.0.0.1:{port}/admin/api/policy", headers=headers,
                            json={"policy": {"allowed_providers": ["corp"]}, "comment": "direct"})  # fmt: skip
    client.close()
    assert process.stderr is not None
    log = process.stderr.read().splitlines()
    assert via_proxy.status_code == 200, via_proxy.text
    assert direct.status_code == 200, direct.text
    proxied_id = via_proxy.headers["x-request-id"]
    assert len(proxied_id) == 32 and proxied_id != "forged-request-id"  # nginx's $request_id, not the client's
    direct_id = direct.headers["x-request-id"]
    assert direct_id != "forged-request-id"  # from an untrusted peer the header is ignored

    # The forwarded client (not nginx's 127.0.0.2, not the spoofed left-most entry) and nginx's request id.
    assert _policy_events(tmp_path / "bridge.sqlite3") == [
        (CLIENT_ADDRESS, proxied_id, "ops-test/1.0"),
        (CLIENT_ADDRESS, direct_id, "ops-test/1.0"),
    ]
    records = [json.loads(line) for line in log]  # every line of the JSON log parses
    access = [r for r in records if r["logger"] == "idp_bridge.access" and r["route"] == "/admin/api/policy"]
    assert [(r["request_id"], r["client_ip"], r["method"], r["status"]) for r in access] == [
        (proxied_id, CLIENT_ADDRESS, "PUT", 200), (direct_id, CLIENT_ADDRESS, "PUT", 200),
    ]
    assert all(SPOOFED not in line for line in log)
