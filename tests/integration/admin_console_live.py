"""The admin console in a real browser: a bridge served over real HTTP (TOTP MFA required, real upstream
processes), people given roles in its store, and signing in to /admin through the upstream's form.

The `console_live` fixture is registered in tests/conftest.py (with `page` and `browser`); test modules use the
functions below.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from idp_bridge.app import command_bridge
from idp_bridge.bridge import Bridge
from idp_bridge.config.model import Config
from idp_bridge.config.session_model import AdminConsoleConfig
from tests.bridge_harness import free_port
from tests.integration.live_bridge import OffsetClock, live_bridge
from tests.mfa.mfa_harness import mfa_config


@dataclasses.dataclass
class ConsoleLive:
    issuer: str
    clock: OffsetClock
    config: Config
    upstreams: dict[str, str]

    def in_store(self, action: Any) -> Any:
        """Run `action(bridge)` (a coroutine function) against the live bridge's store, from the test thread."""

        async def run() -> Any:
            async with command_bridge(self.config, clock=self.clock) as bridge:  # type: ignore[arg-type]
                return await action(bridge)

        # Playwright's sync API keeps an event loop running in this thread: run the store work in another one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result(timeout=30)

    def give_role(self, sub: str, role: str, provider: str = "acme") -> str:
        """Create the upstream user `sub` (as their first login would) with `role`; returns their user id."""

        async def act(bridge: Bridge) -> str:
            user = await bridge.store.upsert_user(
                issuer=self.upstreams[provider], subject=sub, provider_id=provider, email=f"{sub}@example.com",
                name=sub.title(), now=self.clock.now(),
            )  # fmt: skip
            settings = await bridge.store.get_mfa_settings(user.id)
            await bridge.store.save_mfa_settings(dataclasses.replace(settings, role=role))
            return user.id

        return str(self.in_store(act))

    def totp(self, secret: str) -> str:
        return pyotp.TOTP(secret).at(self.clock.now())


@pytest.fixture(scope="module")
def console_live(
    tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str], key_file: Path
) -> Iterator[ConsoleLive]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = mfa_config(tmp_path_factory.mktemp("console"), upstreams, key_file)
    config = config.model_copy(update={
        "server": config.server.model_copy(update={"issuer": issuer}),
        "admin": AdminConsoleConfig(allowed_providers=("acme",)),  # no provider choice page on the way in
    })  # fmt: skip
    clock = OffsetClock()
    with live_bridge(config, clock, port):
        yield ConsoleLive(issuer, clock, config, upstreams)


def upstream_sign_in(page: Page, user: str) -> None:
    """On the upstream's sign-in form (oidc-provider-mock), sign in as `user`."""
    page.fill("input[name=sub][type=text]", user)
    page.click("button[type=submit]:has-text('Authorize')")


def sign_in_console(page: Page, live: ConsoleLive, user: str, next_path: str = "/admin") -> None:
    """Open the console signed out and sign in as `user` through the upstream. `bob`'s upstream MFA is trusted,
    so he lands on `next_path` directly; anyone else goes through the bridge's TOTP pages (see enroll_totp)."""
    page.route("https://**/*", lambda route: route.abort())  # the mock's CDN stylesheet: no network here
    page.goto(f"{live.issuer}{next_path}")
    upstream_sign_in(page, user)


def enroll_totp(page: Page, live: ConsoleLive) -> str:
    """On the bridge's enrollment page: scan (read) the secret, confirm a code, continue; returns the secret."""
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    secret = re.sub(r"\s", "", page.locator("#totp-secret").inner_text())
    page.fill("#code", live.totp(secret))
    page.click("#confirm-enrollment")
    page.click("#continue")
    return secret


def technician_signed_in(browser: Browser, live: ConsoleLive, sub: str) -> tuple[Page, str]:
    """`sub`, a technician, signed in in a browser of their own: they open the console, which asks for MFA (they
    enroll TOTP) and then refuses their role, but their bridge session is live. Returns their page and user id."""
    user_id = live.give_role(sub, "technician")
    page = browser.new_context().new_page()
    sign_in_console(page, live, sub)
    enroll_totp(page, live)
    expect(page.locator("#error-title")).to_have_text("Not allowed")
    return page, user_id
