"""The real client behind trusted proxies: the rightmost untrusted hop, headers ignored from anyone else."""

from __future__ import annotations

import pytest

from idp_bridge.observability.client_address import TrustedProxies, parse_ip

PROXIES = TrustedProxies(["10.0.0.0/8", "2001:db8:1::/48"])


@pytest.mark.parametrize(
    ("xff", "expected"),
    [
        (["203.0.113.9"], "203.0.113.9"),
        (["198.51.100.1, 203.0.113.9"], "203.0.113.9"),  # the left entry may be the client's own invention
        (["203.0.113.9, 10.1.1.1"], "203.0.113.9"),  # a second trusted proxy in the chain is skipped
        (["203.0.113.9", "10.1.1.1"], "203.0.113.9"),  # two headers read as one list
        (["10.2.2.2, 10.1.1.1"], "10.2.2.2"),  # all trusted: the leftmost
        (["garbage, 10.1.1.1"], "10.1.1.1"),  # unreadable: stop at the last trusted hop
        (["unknown"], "10.0.0.1"),
        (["203.0.113.9:5555"], "203.0.113.9"),
        ([], "10.0.0.1"),
    ],
)
def test_x_forwarded_for_gives_the_rightmost_untrusted_address(xff: list[str], expected: str) -> None:
    assert PROXIES.resolve("10.0.0.1", None, xff, None).client_ip == expected


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ('for=203.0.113.9;proto=https', ("203.0.113.9", "https")),
        ('for=198.51.100.1, for="[2001:db8::7]:443";proto=http', ("2001:db8::7", "http")),
        ("for=_hidden", ("10.0.0.1", None)),
    ],
)
def test_forwarded_header_gives_client_and_scheme(forwarded: str, expected: tuple[str, str | None]) -> None:
    found = PROXIES.resolve("10.0.0.1", forwarded, ["192.0.2.1"], "http")
    assert (found.client_ip, found.scheme) == expected  # Forwarded wins over X-Forwarded-For when both come


def test_x_forwarded_proto_gives_the_scheme_and_refuses_anything_else() -> None:
    assert PROXIES.resolve("10.0.0.1", None, [], "https").scheme == "https"
    assert PROXIES.resolve("10.0.0.1", None, [], "javascript").scheme is None


def test_only_listed_networks_are_trusted() -> None:
    assert PROXIES.trusts("10.200.0.1") and PROXIES.trusts("2001:db8:1::5")
    assert not PROXIES.trusts("11.0.0.1") and not PROXIES.trusts("testclient") and not PROXIES.trusts(None)
    assert not TrustedProxies([]).trusts("10.0.0.1")


def test_addresses_are_normalised() -> None:
    assert parse_ip("[2001:DB8::1]:443") == "2001:db8::1"
    assert parse_ip(" 192.0.2.1 ") == "192.0.2.1"
    assert parse_ip("192.0.2.1\r\nX: y") is None
