"""Forward-auth behind a REAL nginx (auth_request) in front of a small app that echoes the headers it gets:
signed out -> sign-in; signed in -> identity headers; evicted or idled out -> signed out; /admin -> local MFA
step-up of the live session."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pyotp
import pytest

from tests.integration.forward_auth_stack import Stack, proxy_stack
from tests.integration.nginx import run_nginx


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str], key_file: Path) -> Iterator[Stack]:
    with proxy_stack(run_nginx, tmp_path_factory, upstreams, key_file) as running:
        yield running


def _sign_in_redirect(response: httpx2.Response, stack: Stack, path: str) -> None:
    stack.assert_sign_in_redirect(response, path)


def test_signed_out_goes_to_sign_in_then_the_app_sees_the_identity(stack: Stack) -> None:
    with stack.browser() as browser:
        _sign_in_redirect(browser.get(f"{stack.proxy}/reports"), stack, "/reports")
        stack.sign_in(browser, "alice", "/reports")
        seen = browser.get(f"{stack.proxy}/reports", headers={"X-Auth-User": "admin", "X-Auth-Amr": "mfa"}).json()
        assert seen["path"] == "/reports"
        assert seen["x-auth-email"] == "alice@example.com"
        assert seen["x-auth-amr"] == "pwd"  # the client's forged values were replaced
        assert seen["x-auth-user"] not in ("", "admin")


def test_a_protected_prefix_needs_a_step_up(stack: Stack) -> None:
    with stack.browser() as alice, stack.browser() as bob:
        stack.sign_in(alice, "alice")
        denied = alice.get(f"{stack.proxy}/admin/users")
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
        assert done.status_code == 303 and done.headers["location"] == f"{stack.proxy}/admin/users"
        seen = alice.get(done.headers["location"]).json()
        assert seen["path"] == "/admin/users" and seen["x-auth-amr"] == "pwd,otp,mfa"
        # bob's upstream login proved MFA: no local step
        stack.sign_in(bob, "bob", "/admin/users")
        seen = bob.get(f"{stack.proxy}/admin/users").json()
        assert seen["path"] == "/admin/users" and seen["x-auth-amr"] == "pwd,mfa"


def _form_value(page: httpx2.Response, name: str, attribute: str) -> str:
    """The `attribute` of the element with id or name `name` on a bridge page."""
    found = re.search(rf'(?:id|name)="{name}"[^>]*?{attribute}="([^"]+)"', page.text)
    assert found, page.text[:800]
    return html.unescape(found.group(1))


def test_eviction_signs_the_first_browser_out(stack: Stack) -> None:
    with stack.browser() as first, stack.browser() as second:
        stack.sign_in(first, "carol")
        assert first.get(f"{stack.proxy}/").status_code == 200
        stack.sign_in(second, "carol")
        again = first.get(f"{stack.proxy}/")
        _sign_in_redirect(again, stack, "/")
        notice = first.get(again.headers["location"])
        assert notice.status_code == 401
        message = re.search(r'id="signed-out-message"[^>]*>(.*?)</p>', notice.text, re.S)
        assert message and html.unescape(message.group(1)) == (
            "You were signed out because your account signed in on another device."
        )
        assert second.get(f"{stack.proxy}/").status_code == 200


def test_idle_timeout_signs_out(stack: Stack) -> None:  # last: it moves the shared clock
    with stack.browser() as browser:
        stack.sign_in(browser, "dave")
        stack.clock.advance(1000)
        assert browser.get(f"{stack.proxy}/").status_code == 200  # activity through nginx
        stack.clock.advance(1000)
        assert browser.get(f"{stack.proxy}/").status_code == 200
        stack.clock.advance(1800)
        _sign_in_redirect(browser.get(f"{stack.proxy}/"), stack, "/")
