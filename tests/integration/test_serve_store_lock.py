"""A real `idp-bridge serve` whose SQLite file another process holds locked: the waiting request does not hold up
the others (the store runs off the event loop), and it goes through once the lock is gone."""

from __future__ import annotations

import concurrent.futures
import contextlib
import sqlite3
import time
import tomllib
from pathlib import Path

import httpx2
import tomli_w

from tests.bridge_harness import authorize_url, free_port
from tests.integration.bridge_process import run_bridge, write_config


def test_a_request_waiting_for_the_store_lock_does_not_hold_up_the_others(
    tmp_path: Path, upstreams: dict[str, str]
) -> None:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = write_config(tmp_path, issuer, port, upstreams)
    data = tomllib.loads(config.read_text())
    data["store"]["busy_timeout_ms"] = 8000  # long enough that a blocked loop would show
    config.write_text(tomli_w.dumps(data))
    with (
        run_bridge(config, issuer),
        httpx2.Client(timeout=20.0) as http,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        holder = sqlite3.connect(data["store"]["path"], isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")  # a second instance mid-transaction
            waiting = pool.submit(lambda: httpx2.get(issuer + authorize_url(), timeout=20.0))
            # Give the request time to reach the store and start waiting for the lock (not a timing assertion:
            # the order of the answers is what the test checks).
            time.sleep(0.5)
            for path in ("/jwks", "/.well-known/openid-configuration"):
                assert http.get(issuer + path).status_code == 200
            assert not waiting.done(), "the store call finished (or failed) before the lock was released"
            holder.execute("ROLLBACK")
        finally:
            with contextlib.suppress(sqlite3.Error):
                holder.close()
        answer = waiting.result(timeout=20)
        assert answer.status_code in (200, 302, 303), answer.text[:500]
