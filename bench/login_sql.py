"""SQL of one bench login: the statements and write transactions the bridge's SQLite store runs per login.

Run by hand: `.venv/bin/python bench/login_sql.py [--logins N] [--verbose]`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import login  # bench/, beside this file
import uvicorn

from idp_bridge.app import create_app
from idp_bridge.config.loader import load_config
from idp_bridge.demo.upstream import run_demo_upstream

_WRITES = ("INSERT", "UPDATE", "DELETE")


def _shape(sql: str) -> str:
    """The statement with its literals blanked (the trace callback sees values expanded)."""
    sql = re.sub(r"'[^']*'", "?", re.sub(r"\s+", " ", sql))
    return re.sub(r"\b\d+(\.\d+)?\b", "N", sql).strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=20, help="measured logins, one at a time (default 20)")
    parser.add_argument("--verbose", action="store_true", help="list every statement shape with its count")
    args = parser.parse_args()

    traced: list[str] = []
    recording = threading.Event()
    connect = sqlite3.connect

    def traced_connect(*a: Any, **k: Any) -> sqlite3.Connection:
        conn = connect(*a, **k)
        conn.set_trace_callback(lambda sql: traced.append(sql) if recording.is_set() else None)
        return conn

    sqlite3.connect = traced_connect  # type: ignore[assignment]  # the store's one connection, in this process
    with tempfile.TemporaryDirectory(prefix="idp-bridge-sql-") as tmp, run_demo_upstream(login.free_port()) as up:
        port = login.free_port()
        issuer = f"http://127.0.0.1:{port}"
        config = load_config(str(login.write_config(Path(tmp), issuer, up, port, "RS256")))
        server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        driver = login.Driver(1)
        try:
            bench = login.LoginBench(driver, issuer, "RS256")
            driver.run(bench.login, 8)  # warm-up: discovery, keys, and 8 live sessions: each measured login evicts one
            recording.set()
            driver.run(bench.login, args.logins)
            recording.clear()
        finally:
            server.should_exit = True
            thread.join()
            driver.close()

    shapes = [_shape(sql) for sql in traced]
    verbs = Counter(shape.split(" ")[0].upper() for shape in shapes)
    in_transaction, autocommitted = False, 0
    for shape in shapes:
        verb = shape.split(" ")[0].upper()
        if verb == "BEGIN":
            in_transaction = True
        elif verb in ("COMMIT", "ROLLBACK"):
            in_transaction = False
        elif verb in _WRITES and not in_transaction:
            autocommitted += 1
    n = args.logins
    statements = len(shapes) - verbs["BEGIN"] - verbs["COMMIT"] - verbs["ROLLBACK"]
    print(f"per login, over {n} logins of bob (sessions.max_sessions = 8: each login evicts his oldest session):")
    print(f"  SQL statements (BEGIN/COMMIT not counted)  {statements / n:6.1f}")
    print(f"  of which writes                            {sum(verbs[v] for v in _WRITES) / n:6.1f}")
    explicit = verbs["BEGIN"]
    print(f"  write transactions                         {(explicit + autocommitted) / n:6.1f}")
    print(f"    BEGIN ... COMMIT                         {explicit / n:6.1f}")
    print(f"    single autocommitted writes              {autocommitted / n:6.1f}")
    if args.verbose:
        for shape, count in Counter(shapes).most_common():
            print(f"  {count / n:5.1f}  {shape[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
