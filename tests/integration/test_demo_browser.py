"""`idp-bridge demo` in a real browser: portal → choose provider → upstream sign-in → claims on the portal."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integration.bridge_process import IDP_BRIDGE


def _four_free_ports() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base: int = probe.getsockname()[1]
        if base > 65000:
            continue
        sockets = []
        try:
            for offset in range(4):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no four consecutive free ports")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    port = _four_free_ports()
    data_dir: Path = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [str(IDP_BRIDGE), "demo", "--port", str(port), "--data-dir", str(data_dir)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    portal = f"http://127.0.0.1:{port + 1}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"demo exited {process.returncode}: {process.stdout.read()[-2000:]}")  # type: ignore[union-attr]
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(portal + "/", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the demo portal did not come up")
            time.sleep(0.2)
        yield portal, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    # Stopping the demo stops its upstream provider processes too (none left orphaned).
    for upstream_port in (port + 2, port + 3):
        with pytest.raises(httpx2.HTTPError):
            httpx2.get(f"http://127.0.0.1:{upstream_port}/.well-known/openid-configuration", timeout=1)


def test_demo_user_with_upstream_mfa_needs_no_local_factor(demo: tuple[str, str], page: Page) -> None:
    portal, bridge_issuer = demo
    page.goto(portal + "/")
    expect(page.locator("h1")).to_have_text("Demo portal")
    page.click("#sign-in")
    # The bridge's provider choice page lists both demo upstreams.
    expect(page.locator("h1")).to_contain_text("Sign in to Demo portal")
    expect(page.locator(".providers a")).to_have_count(2)
    page.click("text=Contoso SSO (demo)")
    # The upstream provider's own sign-in page: a one-click button per demo user.
    page.click("button[name=sub][value=bob]")
    expect(page.locator("#who")).to_contain_text("Bob Admin")
    expect(page.locator('tr[data-claim="email"] .claim-value')).to_have_text("bob@example.com")
    expect(page.locator('tr[data-claim="acr"] .claim-value')).to_have_text("urn:idp-bridge:loa:2")
    expect(page.locator('tr[data-claim="iss"] .claim-value')).to_have_text(bridge_issuer)
    assert page.url.startswith(portal)


def test_demo_user_without_upstream_mfa_enrolls_an_authenticator(demo: tuple[str, str], page: Page) -> None:
    portal, _ = demo
    page.goto(portal + "/")
    page.click("#sign-in")
    page.click("text=Contoso SSO (demo)")
    page.click("button[name=sub][value=alice]")
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    assert secret and len(secret) == 32
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("#confirm-enrollment")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.click("#continue")
    expect(page.locator("#who")).to_contain_text("Alice Technician")
    expect(page.locator('tr[data-claim="acr"] .claim-value')).to_have_text("urn:idp-bridge:loa:2")
    expect(page.locator('tr[data-claim="amr"] .claim-value')).to_contain_text("otp")


def _sign_in(page: Page, portal: str, user: str) -> None:
    page.goto(portal + "/")
    page.click("#sign-in")
    page.click("text=Contoso SSO (demo)")
    page.click(f"button[name=sub][value={user}]")
    expect(page.locator("#signed-in")).to_be_visible()


def test_demo_second_browser_signs_the_first_one_out(demo: tuple[str, str], browser: Browser) -> None:
    portal, _ = demo
    first, second = browser.new_context(), browser.new_context()
    try:
        first_page, second_page = first.new_page(), second.new_page()
        _sign_in(first_page, portal, "bob")
        _sign_in(second_page, portal, "bob")  # the same account in another browser: the first session is evicted
        deadline = time.monotonic() + 10  # the bridge's back-channel logout reaches the portal in the background
        while first_page.locator("#ended-elsewhere").count() == 0:
            assert time.monotonic() < deadline, "the first browser was never signed out"
            first_page.reload()
        expect(first_page.locator("#ended-elsewhere")).to_contain_text("signed in on another device")
        expect(first_page.locator("#sign-in")).to_be_visible()
        second_page.reload()
        expect(second_page.locator("#signed-in")).to_be_visible()
    finally:
        first.close()
        second.close()


def test_demo_admin_console_for_bob(demo: tuple[str, str], page: Page) -> None:
    """The demo policy maps bob's upstream group to Super Admin: he opens the admin console straight away."""
    _, bridge_issuer = demo
    page.goto(bridge_issuer + "/admin")
    expect(page.locator("h1")).to_contain_text("Sign in to the admin console")
    page.click("text=Contoso SSO (demo)")
    page.click("button[name=sub][value=bob]")
    expect(page.locator("#viewer-role")).to_have_text("super admin")
    expect(page.locator("h1")).to_have_text("Overview")
    page.click("nav >> text=Sessions")
    expect(page.locator("#sessions tbody tr")).not_to_have_count(0)
