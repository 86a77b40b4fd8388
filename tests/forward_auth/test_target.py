"""Pure parts of forward-auth: cookie extraction, proxy target headers, return URLs, header values."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp_bridge.forward_auth.check import cookie_value
from idp_bridge.forward_auth.target import (
    ForwardAuthSettings,
    Target,
    return_target,
    sign_in_url,
    target_from_headers,
)
from idp_bridge.web.header_values import header_value, list_value
from tests.bridge_harness import make_config

SETTINGS = ForwardAuthSettings(protected_hosts=frozenset({"app.test", "ops.test:8443"}), rules=(), sign_in_url="x")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("s=abc", "abc"),
        ("a=1; s=abc; b=2", "abc"),
        ("xs=evil; s=good", "good"),  # a cookie whose name ends with ours is not ours
        ('s="abc"', "abc"),
        ("s=first; s=second", "first"),
        ("a=1", None),
    ],
)
def test_cookie_value(header: str | None, expected: str | None) -> None:
    assert cookie_value(header, "s") == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-forwarded-proto": "https", "x-forwarded-host": "App.test", "x-forwarded-uri": "/a?b=1"},
         Target("GET", "https", "app.test", "/a?b=1")),
        ({"x-forwarded-proto": "http", "x-forwarded-host": "app.test"}, Target("GET", "http", "app.test", "/")),
        ({"x-original-url": "https://app.test/x?y"}, Target("GET", "https", "app.test", "/x?y")),
        ({"x-forwarded-proto": "https", "x-forwarded-host": "app.test", "x-forwarded-method": "post"},
         Target("POST", "https", "app.test", "/")),
        ({"x-forwarded-proto": "https"}, None),
        ({"x-forwarded-proto": "ftp", "x-forwarded-host": "app.test"}, None),
        ({"x-forwarded-proto": "https", "x-forwarded-host": "app.test", "x-forwarded-uri": "x"}, None),
        ({"x-forwarded-proto": "https", "x-forwarded-host": "app.test", "x-forwarded-uri": "/a\r\nb"}, None),
        ({"x-forwarded-proto": "https", "x-forwarded-host": "a/b"}, None),
    ],
)  # fmt: skip
def test_target_from_headers(headers: dict[str, str], expected: Target | None) -> None:
    assert target_from_headers(headers) == expected


@pytest.mark.parametrize(
    ("rd", "ok"),
    [
        ("https://app.test/x", True),
        ("https://APP.test/x", True),
        ("https://ops.test:8443/", True),
        ("https://ops.test/", False),  # the port is part of the protected host
        ("https://evil.test/", False),
        ("https://app.test@evil.test/", False),
        ("https://user:pw@app.test/", False),
        ("javascript:alert(1)", False),
        ("/relative", False),
        ("https://app.test/\r\nx", False),
        ("https://app.test\\@evil.test/", False),
    ],
)
def test_return_target(rd: str, ok: bool) -> None:
    assert (return_target(rd, SETTINGS) is not None) is ok


HTTPS_ONLY = ForwardAuthSettings(
    protected_hosts=SETTINGS.protected_hosts, rules=(), sign_in_url="https://sso.test/s", https_only=True
)


@pytest.mark.parametrize(
    ("rd", "ok"),
    [
        ("https://app.test/x", True),
        ("HTTPS://app.test/x", True),
        ("http://app.test/x", False),  # no scheme downgrade
        ("HTTP://app.test/x", False),
        ("http://ops.test:8443/", False),
    ],
)
def test_an_https_only_bridge_refuses_http_return_urls(rd: str, ok: bool) -> None:
    assert (return_target(rd, HTTPS_ONLY) is not None) is ok
    assert return_target(rd, SETTINGS) is not None  # a dev-mode (http) bridge takes both


def test_an_https_only_bridge_upgrades_an_http_request_in_its_sign_in_url() -> None:
    assert sign_in_url(HTTPS_ONLY, Target("GET", "http", "ops.test:8443", "/a?b=1")) == (
        "https://sso.test/s?rd=https%3A%2F%2Fops.test%3A8443%2Fa%3Fb%3D1"
    )
    assert sign_in_url(HTTPS_ONLY, Target("GET", "https", "app.test", "/")) == "https://sso.test/s?rd=https%3A%2F%2Fapp.test%2F"
    assert sign_in_url(SETTINGS, Target("GET", "http", "app.test", "/")) == "x?rd=http%3A%2F%2Fapp.test%2F"


def test_header_values_are_printable_and_capped() -> None:
    assert header_value("plain text@x.test") == "plain text@x.test"
    assert header_value("a\r\nb\x00%") == "a%0D%0Ab%00%25"
    assert header_value("é" * 1000, limit=10) == "%C3%A9%C3"[:9]  # never a cut escape
    assert list_value(["a,b", "c"]) == "a%2Cb,c"
    assert list_value(["x" * 10, "y" * 10], limit=15) == "x" * 10  # whole items only


def test_route_min_acr_becomes_the_levels_the_rule_accepts(tmp_path: Path, upstreams: dict[str, str],
                                                           key_file: Path) -> None:  # fmt: skip
    from idp_bridge.config.session_model import ForwardAuthConfig, ForwardAuthRoute

    config = make_config(tmp_path, upstreams, key_file=key_file)
    routes = {"vault": ForwardAuthRoute(path_prefix="/vault", mfa_max_age_seconds=60, min_acr="urn:idp-bridge:loa:2"),
              "admin": ForwardAuthRoute(path_prefix="/admin", mfa_max_age_seconds=60)}  # fmt: skip
    config = config.model_copy(update={"forward_auth": ForwardAuthConfig(protected_hosts=("app.test",), routes=routes)})
    vault, admin = ForwardAuthSettings.from_config(config).rules
    assert (vault.acr, vault.accepted_acr) == ("urn:idp-bridge:loa:2", {"urn:idp-bridge:loa:2"})
    assert admin.acr == "urn:idp-bridge:loa:mfa-sent-code"  # the default: any second factor
    assert admin.accepted_acr == {"urn:idp-bridge:loa:mfa-sent-code", "urn:idp-bridge:loa:2"}
