"""The demo portal with the REAL bridge: a sign-in from a second browser evicts the first one's bridge session,
the bridge's back-channel logout reaches the portal, and the first browser's portal page says it was signed out.
Plus the portal's own checks of logout tokens (signature, aud, nonce, replay)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from idp_bridge.app import create_app
from idp_bridge.demo.portal import create_demo_portal
from idp_bridge.demo.runner import DEMO_PORTAL_ID, demo_config
from idp_bridge.oidc.signing_keys import SigningKeys
from tests.bridge_harness import LoginDriver, free_port
from tests.session_harness import serve_in_thread

EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


@dataclass
class Demo:
    bridge: str
    portal: str
    keys: SigningKeys
    db: str

    def sign_in(self, browser: httpx2.Client, user: str) -> None:
        start = browser.get(f"{self.portal}/login")
        assert start.status_code == 302, start.text[:200]
        driver = LoginDriver(browser, issuer=self.bridge)
        try:
            result = driver.login(start.headers["location"], user=user, provider="acme", stop_prefix=(self.portal,))
        finally:
            driver.close()
        assert result.final_url is not None and "code=" in result.final_url, result.steps
        assert browser.get(result.final_url).status_code == 303
        assert 'id="signed-in"' in browser.get(f"{self.portal}/").text


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, str]) -> Iterator[Demo]:
    bridge_port, portal_port = free_port(), free_port()
    bridge_url, portal_url = f"http://127.0.0.1:{bridge_port}", f"http://127.0.0.1:{portal_port}"
    data = tmp_path_factory.mktemp("demo-bc")
    config = demo_config(
        issuer=bridge_url, portal_url=portal_url, upstreams=upstreams, data_dir=data, secret_key="k" * 40,
        portal_secret="portal-secret-0123456789",
    )  # fmt: skip
    portal = create_demo_portal(
        bridge_issuer=bridge_url, client_id=DEMO_PORTAL_ID, client_secret="portal-secret-0123456789",
        base_url=portal_url, secret_key="p" * 40,
    )  # fmt: skip
    with serve_in_thread(create_app(config), bridge_port), serve_in_thread(portal, portal_port):
        keys = SigningKeys.load_or_create(Path(config.signing.key_file), "RS256")
        yield Demo(bridge_url, portal_url, keys, config.store.path)


def _browser() -> httpx2.Client:
    return httpx2.Client(timeout=10.0, trust_env=False, follow_redirects=False)


def test_second_browser_signs_the_first_out_of_the_portal(demo: Demo) -> None:
    with _browser() as first, _browser() as second:
        demo.sign_in(first, "bob")
        demo.sign_in(second, "bob")  # bob: upstream MFA, no local step
        deadline = time.monotonic() + 10  # the back-channel delivery runs after the bridge answered
        while 'id="signed-in"' in (page := first.get(f"{demo.portal}/").text):
            assert time.monotonic() < deadline, "the portal never heard of the eviction"
            time.sleep(0.05)
        assert 'id="ended-elsewhere"' in page and "signed in on another device" in page
        assert 'id="signed-in"' in second.get(f"{demo.portal}/").text


def test_bob_is_a_super_admin_by_his_upstream_group(demo: Demo) -> None:
    with _browser() as browser:
        demo.sign_in(browser, "bob")  # nothing else about his login changes: upstream MFA, no local step
    with sqlite3.connect(demo.db) as conn:
        rows = conn.execute(
            "SELECT u.email, m.mapped_role FROM technician_mapped_roles m JOIN users u ON u.id = m.user_id"
        ).fetchall()
    assert rows == [("bob@example.com", "super_admin")]


def _token(demo: Demo, **changes: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {"iss": demo.bridge, "aud": DEMO_PORTAL_ID, "iat": now, "exp": now + 120,
                                 "jti": f"j-{time.monotonic_ns()}", "sid": "some-sid", "events": EVENT}  # fmt: skip
    claims.update(changes)
    return demo.keys.sign({k: v for k, v in claims.items() if v is not None}, typ="logout+jwt")


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"aud": "another-portal"}, "wrong audience"),
        ({"iss": "https://evil.test"}, "wrong issuer"),
        ({"nonce": "n"}, "nonce"),
        ({"events": None}, "no event"),
        ({"exp": 1}, "expired"),
        ({"sid": None}, "neither sid nor sub"),
    ],
)
def test_the_portal_refuses_bad_logout_tokens(demo: Demo, changes: dict[str, object], why: str) -> None:
    response = httpx2.post(f"{demo.portal}/backchannel-logout", data={"logout_token": _token(demo, **changes)})
    assert response.status_code == 400 and why in response.json()["error_description"]


def test_the_portal_refuses_a_replayed_or_forged_logout_token(demo: Demo, tmp_path: Path) -> None:
    token = _token(demo)
    assert httpx2.post(f"{demo.portal}/backchannel-logout", data={"logout_token": token}).status_code == 200
    replay = httpx2.post(f"{demo.portal}/backchannel-logout", data={"logout_token": token})
    assert replay.status_code == 400 and replay.json()["error_description"] == "replayed jti"
    other = SigningKeys.load_or_create(tmp_path / "other.json", "ES256")  # not the bridge's key
    forged = other.sign({"iss": demo.bridge, "aud": DEMO_PORTAL_ID, "jti": "x", "events": EVENT}, typ="logout+jwt")
    assert httpx2.post(f"{demo.portal}/backchannel-logout", data={"logout_token": forged}).status_code == 400
    untyped = demo.keys.sign({"iss": demo.bridge}, typ="JWT")
    assert httpx2.post(f"{demo.portal}/backchannel-logout", data={"logout_token": untyped}).status_code == 400
