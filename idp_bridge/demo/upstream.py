"""Launcher for the demo's stand-in corporate SSO: an `oidc-provider-mock` subprocess with demo users."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import httpx2

__all__ = ["DEMO_ADMIN_GROUP", "DEMO_USERS", "DemoUser", "run_demo_upstream"]

STARTUP_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 5.0
_POLL_INTERVAL_SECONDS = 0.1
_STDERR_TAIL_LINES = 40


DEMO_ADMIN_GROUP = "security-team"


@dataclass(frozen=True, slots=True)
class DemoUser:
    """One predefined upstream user; the mock's sign-in form shows a one-click button for each `sub`."""

    sub: str
    email: str
    name: str
    amr: tuple[str, ...] = ("pwd",)
    groups: tuple[str, ...] = ()

    def claims(self) -> dict[str, object]:
        """The claims the mock puts in this user's id_token and userinfo (`sub` included); `groups` only when the
        user is in any (the mock puts every non-standard claim into the id_token)."""
        claims: dict[str, object] = {
            "sub": self.sub,
            "email": self.email,
            "email_verified": True,
            "name": self.name,
            "preferred_username": self.sub,
            "amr": list(self.amr),
        }
        if self.groups:
            claims["groups"] = list(self.groups)
        return claims


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(sub="alice", email="alice@example.com", name="Alice Technician"),
    # bob's upstream group makes him a Super Admin where the policy maps it (the demo's does: demo/runner.py).
    DemoUser(sub="bob", email="bob@example.com", name="Bob Admin", amr=("pwd", "mfa"), groups=(DEMO_ADMIN_GROUP,)),
    DemoUser(sub="carol", email="carol@contractor.example", name="Carol Contractor"),
)


def upstream_command(port: int) -> list[str]:
    """The command line that starts the mock on 127.0.0.1:`port` with nonces required and `DEMO_USERS`."""
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--host", "127.0.0.1"]
    command.append("--require-nonce")
    for user in DEMO_USERS:
        command += ["--user-claims", json.dumps(user.claims())]
    return command


@contextlib.contextmanager
def run_demo_upstream(port: int, *, startup_timeout: float = STARTUP_TIMEOUT_SECONDS) -> Iterator[str]:
    """Run the upstream mock for the `with` block and yield its issuer, `http://127.0.0.1:<port>`.

    Waits until discovery answers with that issuer; raises `RuntimeError` (with the tail of the mock's stderr)
    if the port is taken, the process exits, or discovery does not answer within `startup_timeout` seconds.
    The process is terminated on exit (killed if it does not stop within a few seconds).
    """
    issuer = f"http://127.0.0.1:{port}"
    _ensure_port_free(port)
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        upstream_command(port),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env={**os.environ, "NO_COLOR": "1"},  # plain log lines in error messages
    )
    tail = _StderrTail(process.stderr)
    try:
        _wait_until_ready(process, issuer, startup_timeout, tail)
        yield issuer
    finally:
        _stop(process)
        tail.join()


def _ensure_port_free(port: int) -> None:
    """Fail early and clearly when something already listens on the port (it would answer our polls)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the same option uvicorn sets
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise RuntimeError(
                f"demo upstream: port {port} on 127.0.0.1 is not available ({exc.strerror}); "
                "choose another port or stop what is using it"
            ) from exc


def _wait_until_ready(process: subprocess.Popen[str], issuer: str, timeout: float, tail: _StderrTail) -> None:
    discovery_url = f"{issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + timeout
    last_problem = "no answer yet"
    with httpx2.Client(timeout=2.0, trust_env=False) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"demo upstream (oidc-provider-mock) exited with code {process.returncode} "
                    f"before answering {discovery_url}{tail.render()}"
                )
            try:
                response = client.get(discovery_url)
                if response.status_code == 200 and response.json().get("issuer") == issuer:
                    break
                last_problem = f"HTTP {response.status_code}, body {response.text[:200]!r}"
            except (httpx2.HTTPError, ValueError) as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"demo upstream (oidc-provider-mock) did not answer {discovery_url} within {timeout:g} s "
                    f"(last: {last_problem}){tail.render()}"
                )
            time.sleep(_POLL_INTERVAL_SECONDS)
    if process.poll() is not None:  # lost a race for the port: something else answered
        raise RuntimeError(
            f"demo upstream (oidc-provider-mock) exited with code {process.returncode} "
            f"while something else answered {discovery_url}{tail.render()}"
        )


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _StderrTail:
    """Drains the child's stderr in a thread (so a full pipe never blocks it) and keeps the last lines."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
        self._thread: threading.Thread | None = None
        if stream is not None:
            self._thread = threading.Thread(
                target=self._drain, args=(stream,), name="demo-upstream-stderr", daemon=True
            )
            self._thread.start()

    def _drain(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self._lines.append(line.rstrip("\n"))

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_SECONDS)

    def render(self) -> str:
        # Give the reader a moment to collect what a just-exited process wrote last.
        if self._thread is not None:
            self._thread.join(timeout=0.5)
        lines = list(self._lines)
        if not lines:
            return ""
        return "\n--- last lines of its stderr ---\n" + "\n".join(lines)
