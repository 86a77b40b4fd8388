"""Forward-auth behind a REAL nginx (auth_request) in front of a small app that echoes the headers it gets:
signed out -> sign-in; signed in -> identity headers; evicted or idled out -> signed out; /admin -> local MFA
step-up of the live session."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pyotp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from idp_bridge.app import create_app
from idp_bridge.clock import FrozenClock
from tests.bridge_harness import LoginDriver, free_port
from tests.integration.nginx import run_nginx
from tests.session_harness import serve_in_thread, session_config


async def _echo(request: Request) -> JSONResponse:
    seen = {k: v for k, v in request.headers.items() if k.startswith("x-auth")}
    return JSONResponse({"path": request.url.path, **seen})


@dataclass
class Stack:
    nginx: str
    bridge: str
    clock: FrozenClock

    def browser(self) -> httpx2.Client:
        return httpx2.Client(timeout=10.0, trust_env=False, follow_redirects=False)

    def sign_in(self, browser: httpx2.Client, user: str, path: str = "/") -> None:
        first = browser.get(f"{self.nginx}{path}")
        assert first.status_code == 302, first.text[:300]
        driver = LoginDriver(browser, issuer=self.bridge)
        try:
            result = driver.login(first.headers["location"], user=user, provider="acme", stop_prefix=(self.nginx,))
        finally:
            driver.close()
        assert result.final_url == f"{self.nginx}{path}", result.steps


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str], key_file: Path) -> Iterator[Stack]:
    bridge_port, app_port, nginx_port = free_port(), free_port(), free_port()
    bridge_url = f"http://127.0.0.1:{bridge_port}"
    config = session_config(
        tmp_path_factory.mktemp("fa-bridge"), upstreams, key_file=key_file, issuer=bridge_url,
        protected_hosts=(f"127.0.0.1:{nginx_port}",),
    )  # fmt: skip
    clock = FrozenClock(time.time())
    app = Starlette(routes=[Route("/{path:path}", _echo)])
    with (
        serve_in_thread(create_app(config, clock=clock), bridge_port),
        serve_in_thread(app, app_port) as app_url,
        run_nginx(tmp_path_factory.mktemp("nginx"), nginx_port, app=app_url, bridge=bridge_url) as nginx_url,
    ):
        yield Stack(nginx_url, bridge_url, clock)


def _sign_in_redirect(response: httpx2.Response, stack: Stack, path: str) -> None:
    assert response.status_code == 302, response.text[:300]
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{stack.bridge}/forward-auth/sign-in"
    assert parse_qs(location.query)["rd"] == [f"{stack.nginx}{path}"]


def test_signed_out_goes_to_sign_in_then_the_app_sees_the_identity(stack: Stack) -> None:
    with stack.browser() as browser:
        _sign_in_redirect(browser.get(f"{stack.nginx}/reports"), stack, "/reports")
        stack.sign_in(browser, "alice", "/reports")
        seen = browser.get(f"{stack.nginx}/reports", headers={"X-Auth-User": "admin", "X-Auth-Amr": "mfa"}).json()
        assert seen["path"] == "/reports"
        assert seen["x-auth-email"] == "alice@example.com"
        assert seen["x-auth-amr"] == "pwd"  # the client's forged values were replaced
        assert seen["x-auth-user"] not in ("", "admin")


def test_a_protected_prefix_needs_a_step_up(stack: Stack) -> None:
    with stack.browser() as alice, stack.browser() as bob:
        stack.sign_in(alice, "alice")
        denied = alice.get(f"{stack.nginx}/admin/users")
        _sign_in_redirect(denied, stack, "/admin/users")
        # alice's live single-factor session is stepped up with the local second factor (no upstream login)
        step = alice.get(denied.headers["location"])
        assert step.status_code == 303 and step.headers["location"] == "/mfa"
        page = alice.get(f"{stack.bridge}/mfa")
        assert "Set up two-factor authentication" in page.text
        secret, token = _form_value(page, "totp-secret", "data-secret"), _form_value(page, "csrf_token", "value")
        code = pyotp.TOTP(secret).at(stack.clock.now())
        assert alice.post(f"{stack.bridge}/mfa/enroll", data={"csrf_token": token, "code": code}).status_code == 200
        done = alice.post(f"{stack.bridge}/mfa/complete", data={"csrf_token": token})
        assert done.status_code == 303 and done.headers["location"] == f"{stack.nginx}/admin/users"
        seen = alice.get(done.headers["location"]).json()
        assert seen["path"] == "/admin/users" and seen["x-auth-amr"] == "pwd,otp,mfa"
        # bob's upstream login proved MFA: no local step
        stack.sign_in(bob, "bob", "/admin/users")
        seen = bob.get(f"{stack.nginx}/admin/users").json()
        assert seen["path"] == "/admin/users" and seen["x-auth-amr"] == "pwd,mfa"


def _form_value(page: httpx2.Response, name: str, attribute: str) -> str:
    """The `attribute` of the element with id or name `name` on a bridge page."""
    found = re.search(rf'(?:id|name)="{name}"[^>]*?{attribute}="([^"]+)"', page.text)
    assert found, page.text[:800]
    return html.unescape(found.group(1))


def test_eviction_signs_the_first_browser_out(stack: Stack) -> None:
    with stack.browser() as first, stack.browser() as second:
        stack.sign_in(first, "carol")
        assert first.get(f"{stack.nginx}/").status_code == 200
        stack.sign_in(second, "carol")
        again = first.get(f"{stack.nginx}/")
        _sign_in_redirect(again, stack, "/")
        notice = first.get(again.headers["location"])
        assert notice.status_code == 401
        message = re.search(r'id="signed-out-message"[^>]*>(.*?)</p>', notice.text, re.S)
        assert message and html.unescape(message.group(1)) == (
            "You were signed out because your account signed in on another device."
        )
        assert second.get(f"{stack.nginx}/").status_code == 200


def test_idle_timeout_signs_out(stack: Stack) -> None:  # last: it moves the shared clock
    with stack.browser() as browser:
        stack.sign_in(browser, "dave")
        stack.clock.advance(1000)
        assert browser.get(f"{stack.nginx}/").status_code == 200  # activity through nginx
        stack.clock.advance(1000)
        assert browser.get(f"{stack.nginx}/").status_code == 200
        stack.clock.advance(1800)
        _sign_in_redirect(browser.get(f"{stack.nginx}/"), stack, "/")
