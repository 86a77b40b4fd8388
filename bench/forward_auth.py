"""Forward-auth benchmark: the check with a valid session against a bare Starlette route, same app and server,
same run, driven by wrk on loopback, with 1,000 and 100,000 sessions in the store.

Run by hand: `.venv/bin/python bench/forward_auth.py [--duration 10] [--connections 50]` (needs Debian's `wrk`).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pydantic import SecretStr

HOST = "bench.test"
SECRET = "b" * 40
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": HOST, "X-Forwarded-Uri": "/reports",
             "X-Forwarded-Method": "GET"}  # fmt: skip
T0 = time.time()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def config(directory: Path):  # type: ignore[no-untyped-def]
    from idp_bridge.config.model import (
        Config,
        OIDCProviderConfig,
        PolicyConfig,
        PortalConfig,
        ServerConfig,
        SigningConfig,
        StoreConfig,
    )  # fmt: skip
    from idp_bridge.config.session_model import ForwardAuthConfig

    return Config(
        server=ServerConfig(issuer="http://127.0.0.1:1", dev_mode=True, secret_key=SecretStr(SECRET)),
        store=StoreConfig(path=str(directory / "bench.sqlite3")),
        signing=SigningConfig(key_file=str(directory / "keys.json"), algorithm="ES256"),
        policy=PolicyConfig(allowed_providers=("corp",)),
        providers={
            "corp": OIDCProviderConfig(kind="oidc", display_name="Corp", issuer="http://127.0.0.1:2", client_id="b")
        },
        portals={"p": PortalConfig(display_name="P", redirect_uris=("http://127.0.0.1:3/cb",))},
        forward_auth=ForwardAuthConfig(protected_hosts=(HOST,)),
    )


def fill_store(directory: Path, sessions: int) -> str:
    """`sessions` live sessions (of as many users) in the store; returns the signed cookie of one of them."""
    import asyncio

    from idp_bridge.sessions.cookie import SessionCookie
    from idp_bridge.store.records.core import secret_hash
    from idp_bridge.store.sqlite.core import SQLiteStore

    cfg = config(directory)
    store = SQLiteStore(cfg.store.path)
    asyncio.run(store.open())
    asyncio.run(store.close())
    cookie = SessionCookie(SECRET, cfg.sessions.cookie_name, secure=False)
    tokens = [cookie.new_token() for _ in range(sessions)]
    rows = [(f"sid-{i}", secret_hash(t), f"user-{i}", "corp", int(T0), '["pwd","mfa"]', "urn:idp-bridge:loa:2",
             T0, T0, T0 + 86400, 86400.0) for i, t in enumerate(tokens)]  # fmt: skip
    with sqlite3.connect(cfg.store.path) as db:
        db.executemany(
            "INSERT INTO sessions (id, token_hash, user_id, provider_id, auth_time, amr, acr, created_at, "
            "last_seen_at, expires_at, idle_timeout) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows,
        )  # fmt: skip
        db.executemany(
            "INSERT INTO users (id, issuer, subject, provider_id, email, name, created_at, last_login_at) "
            "VALUES (?, 'http://127.0.0.1:2', ?, 'corp', ?, ?, ?, ?)",
            [(f"user-{i}", f"s-{i}", f"tech{i}@example.com", f"Tech {i}", T0, T0) for i in range(sessions)],
        )
    db.close()
    return cookie.sign(tokens[sessions // 2])


def serve(directory: str, port: int) -> None:
    """Child process: the bridge app plus a bare route, one uvicorn worker (uvloop, httptools), no access log."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from idp_bridge.app import create_app

    async def bare(request: Request) -> Response:
        return Response(status_code=200)

    app = create_app(config(Path(directory)))
    app.router.routes.append(Route("/bench/bare", bare))
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning", workers=1)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (from /proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@contextlib.contextmanager
def server(directory: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(directory), str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the bench server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


Result = tuple[float, float, float, int, float]


def wrk(url: str, headers: dict[str, str], duration: int, connections: int, pid: int) -> Result:
    """(requests/s, p50 ms, p99 ms, non-2xx responses, server CPU µs per request) from one wrk run."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    cpu_before = cpu_seconds(pid)
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu_before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * _UNITS[unit]

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, percentile("50"), percentile("99"), int(bad.group(1)) if bad else 0, cpu / total * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s, one uvicorn worker (uvloop, httptools), no access log")
    print(f"{'sessions':>9} {'route':<13} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'CPU µs/req':>9} "
          f"{'CPU ratio':>9}")  # fmt: skip
    for count in args.sessions:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            cookie = fill_store(directory, count)
            with server(directory) as (base, pid):
                headers = {**FORWARDED, "Cookie": f"idp_bridge_session={cookie}"}
                import httpx2

                status = httpx2.get(f"{base}/forward-auth", headers=headers).status_code
                if status != 200:
                    print(f"forward-auth answered {status} for the bench session", file=sys.stderr)
                    return 1
                wrk(f"{base}/bench/bare", {}, 2, args.connections, pid)  # warm-up
                bare = wrk(f"{base}/bench/bare", {}, args.duration, args.connections, pid)
                check = wrk(f"{base}/forward-auth", headers, args.duration, args.connections, pid)
            for name, (rps, p50, p99, bad, cpu) in (("bare", bare), ("forward-auth", check)):
                ratio = f"{rps / bare[0]:.2f}" if name != "bare" else ""
                cpu_ratio = f"{bare[4] / cpu:.2f}" if name != "bare" else ""
                note = f"  ({bad} non-2xx!)" if bad else ""
                row = f"{count:>9} {name:<13} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {ratio:>6}"
                print(f"{row} {cpu:>9.1f} {cpu_ratio:>9}{note}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
