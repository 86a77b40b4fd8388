"""Paired login bench: this checkout's bridge against another checkout's, logins alternating in small blocks.

Run by hand: `.venv/bin/python bench/login_ab.py --base DIR [--logins 600] [--block 25]`, where DIR holds the other
version's source (e.g. `git archive main | tar -x -C DIR`). See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import login  # bench/, beside this file

from idp_bridge.demo.upstream import run_demo_upstream


@dataclass
class Side:
    name: str
    pid: int
    bench: login.LoginBench
    driver: login.Driver
    user: float = 0.0
    sys: float = 0.0
    logins: int = 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, type=Path, help="the other checkout (its idp_bridge/, providers/)")
    parser.add_argument("--logins", type=int, default=600, help="measured logins per bridge (default 600)")
    parser.add_argument("--block", type=int, default=25, help="logins per turn (default 25)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent logins (default 4)")
    args = parser.parse_args()
    if not (args.base / "idp_bridge" / "app.py").is_file():
        parser.error(f"--base {args.base}: no idp_bridge/app.py there")

    executable = str(Path(sys.executable).parent / "idp-bridge")
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(run_demo_upstream(login.free_port()))
        sides: list[Side] = []
        # Same venv and settings; only the source differs (PYTHONPATH wins over the editable install).
        for name, prefix in ((f"base ({args.base})", ["env", f"PYTHONPATH={args.base.resolve()}"]), ("this", [])):
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="idp-bridge-ab-")))
            port = login.free_port()
            issuer = f"http://127.0.0.1:{port}"
            config = str(login.write_config(tmp, issuer, upstream, port, "RS256"))
            argv = [*prefix, executable, "serve", "--config", config]
            ready = "/.well-known/openid-configuration"
            process = stack.enter_context(login.server_process(argv, issuer, ready, tmp / "bridge.log"))
            driver = login.Driver(args.concurrency)
            stack.callback(driver.close)
            bench = login.LoginBench(driver, issuer, "RS256")
            driver.run(bench.login, 20)
            sides.append(Side(name, process.pid, bench, driver))
        # Alternating blocks: whatever else loads the machine meanwhile hits both bridges alike.
        while sides[0].logins < args.logins:
            for side in sides:
                _, (user, sys_), _ = side.driver.measure(side.pid, side.bench.login, args.block)
                side.user, side.sys, side.logins = side.user + user, side.sys + sys_, side.logins + args.block
    base, this = (s.user + s.sys for s in sides)
    for side in sides:
        ms = (side.user + side.sys) * 1000 / side.logins
        print(f"{side.name:<40} {ms:5.2f} ms CPU per login  (user {side.user * 1000 / side.logins:.2f} + sys "
              f"{side.sys * 1000 / side.logins:.2f}, {side.logins} logins)")  # fmt: skip
    print(f"this / base: {this / base:.3f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except login.BenchFailure as exc:
        print(f"bench aborted: {exc}", file=sys.stderr)
        sys.exit(1)
