"""Helpers for MFA tests: an in-process bridge with MFA on, walking to the second-factor page, reading its forms."""

from __future__ import annotations

import functools
import html
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pyotp
from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.config.mfa_model import MFAConfig
from idp_bridge.config.model import Config
from tests.bridge_harness import LoginDriver, LoginResult, authorize_url, make_config, running_bridge

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SECRET = re.compile(r'id="totp-secret" data-secret="([A-Z2-7]+)"')
_CODES = re.compile(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></li>")
_ALERT = re.compile(r'<div class="error" role="alert" id="mfa-error"><p>(.*?)</p>', re.S)


def mfa_config(tmp_path: Path, upstreams: dict[str, str], key_file: Path, **mfa: Any) -> Config:
    return make_config(tmp_path, upstreams, key_file=key_file, mfa=MFAConfig(**{"required": True, **mfa}))


@dataclass
class Bridge:
    """A running in-process bridge (its TestClient is the browser), its clock and its database file."""

    client: TestClient
    clock: FrozenClock
    driver: LoginDriver
    db: str

    def login(self, user: str, **authorize: Any) -> LoginResult:
        return self.driver.login(authorize_url(**authorize), provider="acme", user=user)

    def post(self, path: str, data: dict[str, str]) -> httpx2.Response:
        return self.client.post(path, data=data, follow_redirects=False)

    def follow(self, response: httpx2.Response) -> LoginResult:
        """Continue a login from a redirect (e.g. after the second factor) to the portal."""
        assert response.status_code == 303, response.text[:500]
        return self.driver.login(response.headers["location"])

    @property
    def app(self) -> Any:
        """The app's own Bridge (idp_bridge.bridge.Bridge)."""
        return self.client.app.state.bridge  # type: ignore[attr-defined]

    @property
    def store(self) -> Any:
        return self.app.store

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a store coroutine on the bridge's own loop (the SQLite connection lives there)."""
        portal = self.client.portal
        assert portal is not None
        return portal.call(functools.partial(fn, *args, **kwargs))

    def user_id(self, sub: str) -> str:
        """The bridge's id of the upstream user `sub` (the mock's arbitrary users have email == sub)."""
        found = self.call(self.store.find_users, sub) or self.call(self.store.find_users, f"{sub}@example.com")
        assert len(found) == 1, found
        return str(found[0])

    def sees_signed_out_notice(self, reason: str) -> None:
        """A change made elsewhere (an admin) ended this browser's session: its next visit says why, once (the
        notice page clears the dead cookie, so the next login starts afresh)."""
        page = self.client.get(authorize_url(), follow_redirects=False)
        assert page.status_code == 401 and f'data-reason="{reason}"' in page.text, page.text[-900:]

    def totp_at(self, secret: str, steps_ahead: int = 0) -> str:
        return pyotp.TOTP(secret).at(self.clock.now() + 30 * steps_ahead)


@contextmanager
def mfa_bridge(config: Config) -> Iterator[Bridge]:
    clock = FrozenClock(time.time())  # the upstream mints real timestamps
    with running_bridge(config, clock=clock) as client:
        driver = LoginDriver(client)
        try:
            yield Bridge(client, clock, driver, config.store.path)
        finally:
            driver.close()


def csrf(page: httpx2.Response | str) -> str:
    text = page if isinstance(page, str) else page.text
    found = _CSRF.search(text)
    assert found, text[:800]
    return found.group(1)


def secret_of(page: httpx2.Response) -> str:
    found = _SECRET.search(page.text)
    assert found, page.text[:800]
    return found.group(1)


def recovery_codes_of(page: httpx2.Response) -> list[str]:
    return _CODES.findall(page.text)


def alert(page: httpx2.Response) -> str:
    found = _ALERT.search(page.text)
    assert found, page.text[:1500]
    return html.unescape(found.group(1))


def enroll(bridge: Bridge, user: str, **authorize: Any) -> tuple[str, list[str], LoginResult]:
    """A first login with enrollment: (TOTP secret, recovery codes, the finished login)."""
    result = bridge.login(user, **authorize)
    assert result.page is not None and "Set up two-factor authentication" in result.page.text, result.steps
    secret = secret_of(result.page)
    token = csrf(result.page)
    page = bridge.post("/mfa/enroll", {"csrf_token": token, "code": bridge.totp_at(secret)})
    assert page.status_code == 200, page.text[:1500]
    codes = recovery_codes_of(page)
    done = bridge.follow(bridge.post("/mfa/complete", {"csrf_token": token}))
    return secret, codes, done


def audit_detail(db: str, event_type: str) -> dict[str, Any]:
    """The detail of the newest audit event of this type."""
    import json
    import sqlite3

    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT detail FROM audit_events WHERE type = ? ORDER BY rowid DESC LIMIT 1", (event_type,)
        ).fetchone()
    conn.close()
    assert row is not None, f"no {event_type} event"
    detail: dict[str, Any] = json.loads(row[0])
    return detail


def replace_cookie(client: TestClient, name: str, value: str) -> None:
    client.cookies.delete(name)
    client.cookies.set(name, value)
