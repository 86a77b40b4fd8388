"""The session cookie: signed, HttpOnly, SameSite=Lax, Secure and `__Host-` outside dev mode; forged values read as
absent."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.clock import FrozenClock
from idp_bridge.sessions.cookie import SessionCookie, cookie_name
from tests.bridge_harness import LoginDriver
from tests.mfa.mfa_harness import Bridge as MFABridge
from tests.mfa.mfa_harness import csrf, enroll, mfa_config


def _request_with(cookie_header: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [(b"cookie", cookie_header.encode())]})


@pytest.mark.parametrize(("secure", "expect_secure"), [(True, True), (False, False)])
def test_flags(secure: bool, expect_secure: bool) -> None:
    cookie = SessionCookie("k" * 40, "sess", secure=secure)
    response = Response()
    cookie.set(response, "tok", max_age=60)
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header and "max-age=60" in header
    assert ("; secure" in header) is expect_secure


def test_round_trip_and_forgeries() -> None:
    cookie = SessionCookie("k" * 40, "sess", secure=True)
    response = Response()
    token = SessionCookie.new_token()
    cookie.set(response, token, max_age=60)
    value = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert cookie.read(_request_with(f"{cookie.name}={value}")) == token
    other_key = SessionCookie("x" * 40, "sess", secure=True)
    assert other_key.read(_request_with(f"{cookie.name}={value}")) is None  # signed with another secret
    assert cookie.read(_request_with(f"{cookie.name}={token}")) is None  # unsigned raw token
    assert cookie.read(_request_with(f"{cookie.name}={value[:-2]}xx")) is None  # tampered signature
    assert cookie.read(_request_with(f"{cookie.name}=" + "a" * 300)) is None  # oversized
    assert cookie.read(_request_with("other=1")) is None


@pytest.mark.parametrize(
    ("base", "secure", "domain", "expected"),
    [
        ("idp_bridge_session", True, None, "__Host-idp_bridge_session"),
        ("idp_bridge_session", True, "example.com", "__Secure-idp_bridge_session"),  # Domain rules out __Host-
        ("idp_bridge_session", False, None, "idp_bridge_session"),  # dev mode (plain http): no prefix possible
        ("__Host-mine", True, None, "__Host-mine"),  # an operator's own prefix is kept, never doubled
        ("__Secure-mine", True, "example.com", "__Secure-mine"),
    ],
)
def test_cookie_names_carry_the_strictest_prefix_the_settings_allow(
    base: str, secure: bool, domain: str | None, expected: str
) -> None:
    assert cookie_name(base, secure=secure, domain=domain) == expected
    assert SessionCookie("k" * 40, base, secure=secure, domain=domain).name == expected


def test_outside_dev_mode_every_bridge_cookie_is_host_prefixed(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    """A full login with enrollment, then a remembered device, on a bridge outside dev mode: the binding, pending
    MFA, session and device cookies are all `__Host-` (Secure, Path=/, no Domain), so that no sibling host or
    path can plant one."""
    issuer = "https://127.0.0.1:8999"
    dev = mfa_config(tmp_path, upstreams, key_file)
    config = dev.model_copy(update={"server": dev.server.model_copy(update={"dev_mode": False, "issuer": issuer})})
    clock = FrozenClock(time.time())
    set_cookies: list[str] = []
    with TestClient(create_app(config, clock=clock), base_url=issuer) as client:
        client.event_hooks["response"] = [lambda r: set_cookies.extend(r.headers.get_list("set-cookie"))]
        harness = MFABridge(client, clock, LoginDriver(client, issuer=issuer), config.store.path)
        try:
            secret, _, done = enroll(harness, "hugo")
            assert "code" in done.params
            again = harness.login("hugo", prompt="login")
            assert again.page is not None
            form = {"csrf_token": csrf(again.page), "code": harness.totp_at(secret, 1), "remember": "1"}
            assert "code" in harness.follow(harness.post("/mfa/totp", form)).params
        finally:
            harness.driver.close()
    names = {header.split("=", 1)[0] for header in set_cookies}
    assert names == {f"__Host-idp_bridge_{n}" for n in ("browser", "mfa", "session", "device")}, set_cookies
    for header in set_cookies:
        attributes = [a.strip().lower() for a in header.split(";")[1:]]
        assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes, header
        assert not any(a.startswith("domain=") for a in attributes), header
