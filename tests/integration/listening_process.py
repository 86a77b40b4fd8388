"""A server process for integration tests (nginx, Caddy), run until the `with` block ends, once it listens."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping


@contextlib.contextmanager
def listening_process(
    name: str, command: list[str], port: int, *, env: Mapping[str, str] | None = None, timeout: float = 10.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command`, wait until 127.0.0.1:`port` accepts connections, and stop it afterwards (its stderr is in
    the error when it exits early)."""
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"{name} exited {process.returncode}: {err[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start listening in time")
            time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
