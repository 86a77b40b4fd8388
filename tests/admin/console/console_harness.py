"""Test harness for the admin console: an in-process bridge on an injected clock, real upstreams, people signed
in to the console in browsers of their own (TestClients with separate cookie jars)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from idp_bridge.demo.upstream import DEMO_USERS
from tests.admin.api.api_harness import AdminBridge, admin_bridge
from tests.bridge_harness import BRIDGE_ISSUER, LoginDriver, authorize_url, other_browser

_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def email_of(sub: str) -> str:
    """The email the test upstreams give a user: DEMO_USERS', else `<sub>@example.com` (upstream_users.py)."""
    return next((u.email for u in DEMO_USERS if u.sub == sub), f"{sub}@example.com")


@dataclasses.dataclass
class ConsoleUser:
    """One person's browser on the console."""

    browser: TestClient
    user_id: str

    def get(self, path: str, **params: Any) -> httpx2.Response:
        return self.browser.get(path, params=params or None, follow_redirects=False)

    def csrf(self, path: str = "/admin") -> str:
        """The form token shown on a console page."""
        page = self.get(path)
        found = _CSRF.search(page.text)
        assert page.status_code == 200 and found, (page.status_code, page.text[:300])
        return found.group(1)

    def post(self, path: str, data: dict[str, str], *, csrf: str | None = "", **headers: str) -> httpx2.Response:
        """POST a console form; `csrf=""` fetches a fresh token first, None sends none."""
        form = dict(data)
        if csrf == "":
            csrf = self.csrf()
        if csrf is not None:
            form["csrf_token"] = csrf
        return self.browser.post(path, data=form, headers=headers or None, follow_redirects=False)


@dataclasses.dataclass
class Console:
    bridge: AdminBridge

    @property
    def clock(self) -> FrozenClock:
        return self.bridge.clock

    def set_role(self, user_id: str, role: str) -> None:
        """Give a role directly in the store (as `idp-bridge mfa set-role` would, but without signing them out)."""
        store = self.bridge.store
        settings = self.bridge.call(store.get_mfa_settings, user_id)
        self.bridge.call(store.save_mfa_settings, dataclasses.replace(settings, role=role))

    def sign_in(self, user: str, role: str | None = None, provider: str = "acme") -> ConsoleUser:
        """Sign `user` in to the console through the bridge (in a new browser), then give them `role`."""
        browser = other_browser(self.bridge.client)
        driver = LoginDriver(browser)
        try:
            result = driver.login(
                "/admin/sign-in?next=/admin/sessions", user=user, provider=provider,
                stop_prefix=(f"{BRIDGE_ISSUER}/admin/sessions",),
            )  # fmt: skip
        finally:
            driver.close()
        assert result.final_url == f"{BRIDGE_ISSUER}/admin/sessions", (result.steps, result.page)
        user_id = self.bridge.user_id(email_of(user))
        if role is not None:
            self.set_role(user_id, role)
        return ConsoleUser(browser, user_id)


    def portal_sign_in(self, user: str, provider: str = "acme") -> ConsoleUser:
        """Sign `user` in to a portal (not the console) in a new browser: a live session of a technician who
        needs no second factor there (MFA is off for portals in the test config)."""
        browser = other_browser(self.bridge.client)
        driver = LoginDriver(browser)
        try:
            result = driver.login(authorize_url(provider_hint=provider), provider=provider, user=user)
        finally:
            driver.close()
        assert "code" in result.params, (result.steps, result.page)
        return ConsoleUser(browser, self.bridge.user_id(email_of(user)))


@contextmanager
def console(config: Config) -> Iterator[Console]:
    with admin_bridge(config) as bridge:
        yield Console(bridge)
