"""Login benchmark: the bridge's CPU per complete login against a real upstream, with a bare-Starlette baseline.

Run by hand: `.venv/bin/python bench/login.py [--logins N] [--concurrency C] [--profile]`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import cpu_sampler  # bench/, beside this file
import httpx2
import tomli_w
from joserfc import jwt
from joserfc.jwk import KeySet

from idp_bridge.demo.upstream import run_demo_upstream

PORTAL_ID, PORTAL_SECRET = "bench-portal", "bench-portal-secret-0123456789"
PORTAL_REDIRECT = "http://127.0.0.1:7001/callback"
TARGET_MS = 5.0  # the aim: at most 5 ms of bridge CPU per complete login (200 logins/s per core)
KEYCLOAK_LOGINS_PER_VCPU = 15  # Keycloak's published sizing: password logins/s per vCPU
CLK_TCK = os.sysconf("SC_CLK_TCK")
CpuTimes = tuple[float, float]  # (user, sys) seconds


class BenchFailure(Exception):
    """A login (or a baseline request) did not succeed: the bench aborts with this reason."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_times(pid: int) -> CpuTimes:
    """(user, sys) CPU seconds of process `pid`, all its threads, from /proc/<pid>/stat (fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ", fields[0] is field 3
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


@contextlib.contextmanager
def server_process(argv: list[str], base_url: str, ready_path: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process (stderr to `log`), wait until `ready_path` answers 200; stop it on exit."""
    with log.open("wb") as log_file:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file)
    try:
        deadline = time.monotonic() + 30
        with httpx2.Client(timeout=2.0, trust_env=False) as client:
            while True:
                if process.poll() is not None:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise BenchFailure(f"{argv[0]} exited with code {process.returncode} at startup:\n{tail}")
                with contextlib.suppress(httpx2.HTTPError):
                    if client.get(base_url + ready_path).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchFailure(f"{base_url}{ready_path} did not answer within 30 s")
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # uvicorn's clean shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def write_config(tmp: Path, issuer: str, upstream: str, port: int, algorithm: str) -> Path:
    config = {
        "server": {"issuer": issuer, "port": port, "dev_mode": True, "secret_key": secrets.token_urlsafe(40)},
        "store": {"path": str(tmp / "bridge.sqlite3")},
        "signing": {"algorithm": algorithm, "key_file": str(tmp / "signing.json")},
        # Every bench login is bob's, several at once: with the default limit of one session each login would end
        # the sessions whose codes are still in flight. At 8 (twice the default concurrency) the concurrency rule
        # still evicts one session per login, as it does for a technician who signs in again elsewhere.
        "sessions": {"max_sessions": 8},
        "logging": {"access_log": False},  # benches measure the bridge, not its log lines
        "policy": {"allowed_providers": ["corp"]},
        "providers": {"corp": dict(kind="oidc", display_name="Corp SSO", issuer=upstream, client_id="idp-bridge",
                                   client_secret="upstream-secret")},
        "portals": {PORTAL_ID: dict(display_name="Bench", client_secret=PORTAL_SECRET,
                                    redirect_uris=[PORTAL_REDIRECT])},
    }  # fmt: skip
    path = tmp / "bridge.toml"
    path.write_bytes(tomli_w.dumps(config).encode())
    return path


class Driver:
    """Runs jobs on C threads; each thread keeps its own keep-alive clients (browser, portal backend, bare)."""

    def __init__(self, concurrency: int) -> None:
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bench")
        self.local = threading.local()
        self.clients: list[httpx2.Client] = []
        self.lock = threading.Lock()

    def client(self, name: str) -> httpx2.Client:
        client: httpx2.Client | None = getattr(self.local, name, None)
        if client is None:
            client = httpx2.Client(timeout=15.0, trust_env=False, follow_redirects=False)
            setattr(self.local, name, client)
            with self.lock:
                self.clients.append(client)
        return client

    def run(self, job: Callable[[int], int], count: int) -> tuple[float, int]:
        """Run job(0..count-1); returns (wall seconds, sum of the jobs' results). The first failure raises."""
        started = time.perf_counter()
        total = sum(future.result() for future in [self.pool.submit(job, i) for i in range(count)])
        return time.perf_counter() - started, total

    def measure(self, pid: int, job: Callable[[int], int], count: int) -> tuple[float, CpuTimes, int]:
        """(wall s, (user, sys) CPU s spent by process `pid`, sum of the jobs' results) over `count` jobs."""
        before = cpu_times(pid)
        wall, total = self.run(job, count)
        after = cpu_times(pid)
        return wall, (after[0] - before[0], after[1] - before[1]), total

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        for client in self.clients:
            client.close()


class LoginBench:
    """One complete login per call: authorize -> upstream sign-in -> callback -> portal code -> token."""

    def __init__(self, driver: Driver, issuer: str, algorithm: str) -> None:
        self.driver, self.issuer, self.algorithm = driver, issuer, algorithm
        self.keys: KeySet | None = None
        self.verified = 0

    def login(self, index: int) -> int:
        """Returns the number of requests the bridge received; raises BenchFailure on any deviation."""
        browser, portal = self.driver.client("browser"), self.driver.client("portal")
        browser.cookies.clear()  # a fresh cookie jar for every login
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = {"client_id": PORTAL_ID, "redirect_uri": PORTAL_REDIRECT, "response_type": "code",
                 "scope": "openid email profile", "state": state, "nonce": nonce,
                 "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
        url, method, data = f"{self.issuer}/authorize?{urlencode(query)}", "GET", None
        bridge_requests, steps = 0, list[str]()
        while not url.startswith(PORTAL_REDIRECT):
            if len(steps) >= 12:
                raise BenchFailure(f"login {index} did not finish: {steps}")
            steps.append(f"{method} {url.split('?')[0]}")
            response = browser.request(method, url, data=data)
            bridge_requests += url.startswith(self.issuer)
            method, data = "GET", None
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
            elif response.status_code == 200 and "/oauth2/authorize" in url:
                # bob: his upstream MFA is trusted, so the login needs no local second factor (mfa.required)
                method, data = "POST", {"sub": "bob"}  # the upstream's sign-in form
            else:
                raise BenchFailure(f"login {index}: HTTP {response.status_code} at {steps[-1]}: {response.text[:300]}")
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        if "code" not in params or params.get("state") != state or params.get("iss") != self.issuer:
            raise BenchFailure(f"login {index}: portal redirect without a valid code: {url}")
        response = portal.post(
            f"{self.issuer}/token",
            data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": PORTAL_REDIRECT,
                  "code_verifier": verifier},
            auth=(PORTAL_ID, PORTAL_SECRET),
        )  # fmt: skip
        bridge_requests += 1
        body: dict[str, Any] = response.json() if response.headers.get("content-type", "").startswith("app") else {}
        if (
            response.status_code != 200
            or body.get("token_type") != "Bearer"
            or "access_token" not in body
            or str(body.get("id_token")).count(".") != 2
        ):
            raise BenchFailure(f"login {index}: /token answered {response.status_code}: {response.text[:300]}")
        if index % 10 == 0:
            self.verify(index, body["id_token"], nonce)
        return bridge_requests

    def verify(self, index: int, id_token: str, nonce: str) -> None:
        """Signature against the bridge's /jwks (fetched once, in the warm-up) and the claims that matter."""
        if self.keys is None:
            self.keys = KeySet.import_key_set(self.driver.client("portal").get(f"{self.issuer}/jwks").json())
        try:
            claims = jwt.decode(id_token, self.keys, algorithms=[self.algorithm]).claims
        except Exception as exc:
            raise BenchFailure(f"login {index}: id_token does not verify against /jwks: {exc}") from exc
        expected = {"iss": self.issuer, "aud": PORTAL_ID, "nonce": nonce, "email": "bob@example.com",
                    "acr": "urn:idp-bridge:loa:2"}
        wrong = {k: claims.get(k) for k, v in expected.items() if claims.get(k) != v}
        if wrong or claims.get("exp", 0) < time.time():
            raise BenchFailure(f"login {index}: id_token claims are wrong: {wrong or claims}")
        with self.driver.lock:
            self.verified += 1


def bare_get(driver: Driver, url: str) -> Callable[[int], int]:
    def job(index: int) -> int:
        response = driver.client("bare").get(url)
        if response.status_code != 200 or response.text != "ok":
            raise BenchFailure(f"bare request {index}: HTTP {response.status_code}")
        return 1

    return job


def serve_bare(port: int) -> None:
    """The baseline: one Starlette route returning 200 "ok", with the uvicorn settings of `idp-bridge serve`."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", ok)])
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="info", proxy_headers=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=200, help="measured logins (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent logins (default 4)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured logins first (default 20)")
    parser.add_argument("--algorithm", choices=("RS256", "ES256"), default="RS256", help="bridge signing alg")
    parser.add_argument("--profile", action="store_true", help="sample the bridge's CPU, print the top")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up as on Ctrl+C
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="idp-bridge-bench-")))
        driver = Driver(args.concurrency)
        stack.callback(driver.close)
        with contextlib.ExitStack() as bridge_stack:  # upstream + bridge, stopped before the baseline runs
            upstream = bridge_stack.enter_context(run_demo_upstream(free_port()))
            port = free_port()
            issuer = f"http://127.0.0.1:{port}"
            config = str(write_config(tmp, issuer, upstream, port, args.algorithm))
            argv = [str(Path(sys.executable).parent / "idp-bridge"), "serve", "--config", config]
            if args.profile:
                argv = [sys.executable, str(Path(__file__).with_name("cpu_sampler.py")), str(tmp / "prof"), config]
            ready = "/.well-known/openid-configuration"
            bridge = bridge_stack.enter_context(server_process(argv, issuer, ready, tmp / "bridge.log"))
            bench = LoginBench(driver, issuer, args.algorithm)
            driver.run(bench.login, args.warmup)
            if args.profile:
                os.kill(bridge.pid, signal.SIGUSR1)
            wall, (user, sys_), requests = driver.measure(bridge.pid, bench.login, args.logins)
            if args.profile:
                os.kill(bridge.pid, signal.SIGUSR2)
                cpu_sampler.report(tmp / "prof", 25)
        per_login = requests / args.logins

        bare_url = f"http://127.0.0.1:{(bare_port := free_port())}/"
        bare_argv = [sys.executable, str(Path(__file__).resolve()), "--serve-bare", str(bare_port)]
        bare = stack.enter_context(server_process(bare_argv, bare_url, "", tmp / "bare.log"))
        job = bare_get(driver, bare_url)
        driver.run(job, max(1, round(args.warmup * per_login)))
        bare_wall, (bare_user, bare_sys), bare_requests = driver.measure(bare.pid, job, requests)

    ms, bare_us = (user + sys_) * 1000 / args.logins, (bare_user + bare_sys) * 1e6 / bare_requests
    ratio = ms * 1000 / (bare_us * per_login)
    # fmt: off
    print(f"bridge: {args.logins} logins (+{args.warmup} warm-up), concurrency {args.concurrency}, {args.algorithm}, "
          f"{'CPU-sampled, ' if args.profile else ''}{bench.verified} id_tokens verified against /jwks")
    rows = [
        ("logins/s (wall, upstream + driver included)", f"{args.logins / wall:.1f}", ""),
        ("bridge HTTP requests per login", f"{per_login:.2f}", ""),
        ("bridge CPU per login", f"{ms:.2f}", f"ms  (user {user * 1000 / args.logins:.2f} + sys "
                                              f"{sys_ * 1000 / args.logins:.2f})"),
        ("bridge CPU per request", f"{ms * 1000 / per_login:.0f}", "us"),
        (f"vs target <= {TARGET_MS:g} ms per login", f"{ms / TARGET_MS:.2f}x", "OK" if ms <= TARGET_MS else "OVER"),
        ("logins/s per core (1 / CPU per login)", f"{1000 / ms:.0f}",
         f"(aim 200; Keycloak sizing {KEYCLOAK_LOGINS_PER_VCPU} per vCPU)"),
        (f"baseline: bare Starlette route, {bare_requests} requests", "", ""),
        ("requests/s (wall)", f"{bare_requests / bare_wall:.0f}", ""),
        ("CPU per request", f"{bare_us:.0f}", f"us  (user {bare_user * 1e6 / bare_requests:.0f} + sys "
                                              f"{bare_sys * 1e6 / bare_requests:.0f})"),
        (f"login CPU / ({per_login:g} x bare request CPU)", f"{ratio:.1f}x",
         f"(one login = {ms * 1000 / bare_us:.0f} bare requests of CPU)"),
    ]
    # fmt: on
    for label, value, note in rows:
        print(f"  {label:<46}{value:>8}  {note}".rstrip() if value else label)
    print(f"(/proc tick {1000 / CLK_TCK:g} ms; totals: bridge {user + sys_:.2f} s, bare {bare_user + bare_sys:.2f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchFailure as exc:
        print(f"bench aborted: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench interrupted; processes stopped", file=sys.stderr)
        sys.exit(130)
