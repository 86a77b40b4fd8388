"""A bridge, a small app that echoes the X-Auth-* headers it gets, and a REAL reverse proxy (nginx or Caddy, run
with the snippet of docs/forward-auth.md) in front of the app, for the forward-auth integration tests."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from idp_bridge.app import create_app
from idp_bridge.clock import FrozenClock
from tests.bridge_harness import LoginDriver, free_port
from tests.session_harness import serve_in_thread, session_config

ProxyRunner = Callable[..., contextlib.AbstractContextManager[str]]  # (directory, port, *, app, bridge) -> URL


async def _echo(request: Request) -> JSONResponse:
    seen = {k: v for k, v in request.headers.items() if k.startswith(("x-auth", "x_auth"))}
    return JSONResponse({"path": request.url.path, **seen})


@dataclass
class Stack:
    proxy: str
    bridge: str
    clock: FrozenClock

    def browser(self) -> httpx2.Client:
        return httpx2.Client(timeout=10.0, trust_env=False, follow_redirects=False)

    def sign_in(self, browser: httpx2.Client, user: str, path: str = "/") -> None:
        first = browser.get(f"{self.proxy}{path}")
        assert first.status_code == 302, first.text[:300]
        driver = LoginDriver(browser, issuer=self.bridge)
        try:
            result = driver.login(first.headers["location"], user=user, provider="acme", stop_prefix=(self.proxy,))
        finally:
            driver.close()
        assert result.final_url == f"{self.proxy}{path}", result.steps

    def bridge_answer(self, browser: httpx2.Client, path: str) -> httpx2.Response:
        """What the bridge itself answers the proxy for `path` with this browser's cookies."""
        host = urlsplit(self.proxy).netloc
        forwarded = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": host, "X-Forwarded-Uri": path}
        return browser.get(f"{self.bridge}/forward-auth", headers=forwarded)

    def assert_sign_in_redirect(self, response: httpx2.Response, path: str) -> None:
        assert response.status_code == 302, response.text[:300]
        location = urlsplit(response.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{self.bridge}/forward-auth/sign-in"
        assert parse_qs(location.query)["rd"] == [f"{self.proxy}{path}"]


@contextlib.contextmanager
def proxy_stack(
    run_proxy: ProxyRunner, tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str], key_file: Path
) -> Iterator[Stack]:
    bridge_port, app_port, proxy_port = free_port(), free_port(), free_port()
    bridge_url = f"http://127.0.0.1:{bridge_port}"
    config = session_config(
        tmp_path_factory.mktemp("fa-bridge"), upstreams, key_file=key_file, issuer=bridge_url,
        protected_hosts=(f"127.0.0.1:{proxy_port}",),
    )  # fmt: skip
    clock = FrozenClock(time.time())
    app = Starlette(routes=[Route("/{path:path}", _echo)])
    with (
        serve_in_thread(create_app(config, clock=clock), bridge_port),
        serve_in_thread(app, app_port) as app_url,
        run_proxy(tmp_path_factory.mktemp("proxy"), proxy_port, app=app_url, bridge=bridge_url) as proxy_url,
    ):
        yield Stack(proxy_url, bridge_url, clock)
