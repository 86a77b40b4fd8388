"""The session cookie: signed, HttpOnly, SameSite=Lax, Secure outside dev mode; forged values read as absent."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.sessions.cookie import SessionCookie


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
    assert cookie.read(_request_with(f"sess={value}")) == token
    other_key = SessionCookie("x" * 40, "sess", secure=True)
    assert other_key.read(_request_with(f"sess={value}")) is None  # signed with another secret
    assert cookie.read(_request_with(f"sess={token}")) is None  # unsigned raw token
    assert cookie.read(_request_with(f"sess={value[:-2]}xx")) is None  # tampered signature
    assert cookie.read(_request_with("sess=" + "a" * 300)) is None  # oversized
    assert cookie.read(_request_with("other=1")) is None
