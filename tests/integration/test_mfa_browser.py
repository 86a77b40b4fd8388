"""Step-up MFA in a real browser (Playwright + Debian's chromium) against the bridge over real HTTP, a real
upstream OIDC provider and a real SMTP server: QR enrollment, TOTP, recovery code, remember-device (and its end
after reconfiguration), an email code; and a replayed TOTP code sent twice in parallel (exactly one wins)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from idp_bridge.app import command_bridge
from idp_bridge.config.mfa_model import EmailConfig
from idp_bridge.config.model import Config
from idp_bridge.mfa import admin
from tests.bridge_harness import PORTAL_ID, PORTAL_SECRET, authorize_query, free_port, pkce_pair
from tests.integration.live_bridge import OffsetClock, live_bridge
from tests.mfa.mfa_harness import mfa_config
from tests.mfa.receivers import Mailbox, smtp_server


@contextmanager
def portal_server() -> Iterator[str]:
    """A stand-in portal: its callback page just shows that the browser arrived (the test redeems the code)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!doctype html><h1 id='portal'>portal</h1>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback"
    finally:
        server.shutdown()
        server.server_close()


class Live:
    def __init__(self, issuer: str, clock: OffsetClock, config: Config, redirect_uri: str) -> None:
        self.issuer, self.clock, self.config, self.redirect_uri = issuer, clock, config, redirect_uri
        self.db = config.store.path

    def authorize(self, **extra: Any) -> str:
        query = authorize_query(redirect_uri=self.redirect_uri, provider_hint="acme", **extra)
        return f"{self.issuer}/authorize?{urlencode(query)}"

    def totp(self, secret: str) -> str:
        return pyotp.TOTP(secret).at(self.clock.now())

    def next_step(self) -> None:
        """Move the bridge's clock to the next TOTP time step (a code is accepted once per step)."""
        self.clock.advance(30)

    def claims_of(self, portal_url: str) -> dict[str, Any]:
        code = parse_qs(urlsplit(portal_url).query)["code"][0]
        response = httpx2.post(
            f"{self.issuer}/token", auth=(PORTAL_ID, PORTAL_SECRET),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                  "code_verifier": pkce_pair()[0]},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        introspected = httpx2.post(f"{self.issuer}/introspect", auth=(PORTAL_ID, PORTAL_SECRET), data={"token": token})
        introspected = introspected.json()
        return dict(introspected)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str], key_file: Path,
         mailbox: Mailbox) -> Iterator[Live]:  # fmt: skip
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = mfa_config(
        tmp_path_factory.mktemp("live"), upstreams, key_file,
        email=EmailConfig(host="127.0.0.1", port=mailbox.port, security="none", from_address="sso@bridge.test"),
    )  # fmt: skip
    clock = OffsetClock()
    with portal_server() as redirect_uri:
        portal = config.portals[PORTAL_ID].model_copy(update={"redirect_uris": (redirect_uri,)})
        config = config.model_copy(update={
            "server": config.server.model_copy(update={"issuer": issuer}),
            "portals": {**config.portals, PORTAL_ID: portal},
        })  # fmt: skip
        with live_bridge(config, clock, port):
            yield Live(issuer, clock, config, redirect_uri)


def sign_in_upstream(page: Page, live: Live, user: str, **extra: Any) -> None:
    page.route("https://**/*", lambda route: route.abort())  # the mock's CDN stylesheet: no network here
    page.goto(live.authorize(**extra))
    page.fill("input[name=sub][type=text]", user)
    page.click("button[type=submit]:has-text('Authorize')")


def enroll_in_browser(page: Page, live: Live, user: str) -> tuple[str, list[str]]:
    sign_in_upstream(page, live, user)
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = re.sub(r"\s", "", page.locator("#totp-secret").inner_text())
    assert len(secret) == 32 and page.locator("#totp-secret").get_attribute("data-secret") == secret
    page.fill("#code", live.totp(secret))
    page.click("#confirm-enrollment")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert page.locator("#download-codes").get_attribute("download") == "recovery-codes.txt"
    page.click("#continue")
    expect(page.locator("#portal")).to_be_visible()
    assert live.claims_of(page.url)["acr"] == "urn:idp-bridge:loa:2"
    return secret, codes


def test_enroll_then_totp_then_recovery_code(live: Live, page: Page, browser: Any) -> None:
    secret, codes = enroll_in_browser(page, live, "browser-ann")
    # A later login in a fresh browser: the TOTP of a new time step.
    context: BrowserContext = browser.new_context()
    try:
        second = context.new_page()
        live.next_step()
        sign_in_upstream(second, live, "browser-ann")
        expect(second.locator("h1")).to_have_text("Two-factor authentication")
        second.fill("#code", "000000" if live.totp(secret) != "000000" else "111111")
        second.click("#verify-totp")
        expect(second.locator("#mfa-error")).to_contain_text("not correct")
        expect(second.locator("#time-hint")).to_contain_text("automatic")
        second.fill("#code", live.totp(secret))
        second.click("#verify-totp")
        expect(second.locator("#portal")).to_be_visible()
        claims = live.claims_of(second.url)
        assert claims["amr"] == ["otp", "mfa"] and claims["auth_time"] == pytest.approx(live.clock.now(), abs=5)
    finally:
        context.close()
    # Lost phone: a recovery code instead.
    context = browser.new_context()
    try:
        third = context.new_page()
        sign_in_upstream(third, live, "browser-ann")
        third.click("#recovery summary")
        third.fill("#recovery_code", codes[2])
        third.click("#verify-recovery")
        expect(third.locator("#codes-left")).to_contain_text("9 recovery codes left")
        third.click("#continue")
        expect(third.locator("#portal")).to_be_visible()
    finally:
        context.close()


def test_remember_device_until_reconfigured(live: Live, page: Page) -> None:
    secret, _ = enroll_in_browser(page, live, "browser-bea")
    live.next_step()
    sign_in_upstream(page, live, "browser-bea", prompt="login")
    page.fill("#code", live.totp(secret))
    page.check("#remember")
    page.click("#verify-totp")
    expect(page.locator("#portal")).to_be_visible()
    # The second login skips MFA on this device.
    sign_in_upstream(page, live, "browser-bea", prompt="login")
    expect(page.locator("#portal")).to_be_visible()
    assert live.claims_of(page.url)["acr"] == "urn:idp-bridge:loa:1"
    # Reconfigure the authenticator on the settings page: the remembered device stops working.
    live.next_step()
    page.goto(f"{live.issuer}/account/mfa")
    expect(page.locator("#devices")).to_contain_text("Chrome")
    page.fill("#code", live.totp(secret))
    page.click("#reconfigure")
    new_secret = page.locator("#totp-secret").get_attribute("data-secret")
    assert new_secret and new_secret != secret
    page.fill("#code", live.totp(new_secret))
    page.click("#confirm-enrollment")
    expect(page.locator("#signed-out")).to_contain_text("signed out everywhere")
    sign_in_upstream(page, live, "browser-bea", prompt="login")
    expect(page.locator("h1")).to_have_text("Two-factor authentication")


def test_email_code(live: Live, page: Page, mailbox: Mailbox) -> None:
    sign_in_upstream(page, live, "cid@example.com")  # first login: creates the user, enrollment page shown
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")

    async def set_email() -> None:  # as the admin CLI does: the bridge's machinery on the same store
        async with command_bridge(live.config, live.clock) as bridge:
            user_id = (await bridge.store.find_users("cid@example.com"))[0]
            await admin.save_settings(bridge, user_id, method="email")

    _in_thread(set_email)
    sent = len(mailbox.messages)
    sign_in_upstream(page, live, "cid@example.com")
    expect(page.locator("#otp-destination")).to_contain_text("c•••@example.com")
    assert len(mailbox.messages) == sent + 1
    page.fill("#code", mailbox.last_code())
    page.click("#verify-otp")
    expect(page.locator("#portal")).to_be_visible()
    claims = live.claims_of(page.url)  # an email code is below the authenticator app's level (docs/acr.md)
    assert (claims["acr"], claims["amr"]) == ("urn:idp-bridge:loa:mfa-sent-code", ["otp", "mfa"])


def _in_thread(coro_fn: Any) -> None:
    """Playwright's sync API leaves an event loop running in this thread: run the coroutine in another one."""
    import asyncio

    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro_fn())
        except BaseException as exc:  # pragma: no cover - reported below
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_the_same_code_sent_twice_in_parallel_wins_once(live: Live, page: Page) -> None:
    secret, _ = enroll_in_browser(page, live, "browser-dee")
    live.next_step()
    sign_in_upstream(page, live, "browser-dee", prompt="login")
    expect(page.locator("h1")).to_have_text("Two-factor authentication")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies(live.issuer + "/mfa")}
    code = live.totp(secret)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        with httpx2.Client(cookies=cookies) as client:
            barrier.wait()
            answer = client.post(f"{live.issuer}/mfa/totp", data={"csrf_token": token, "code": code})
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 400], statuses  # one signs in, the other is told the code was used
