"""providers.claims.safe_identity: upstream text claims capped and cleaned for every provider kind, cuts named."""

from __future__ import annotations

import pytest

from providers.base import Identity
from providers.claims import MAX_NAME, safe_identity
from providers.oidc import OIDCProvider
from tests.providers.fake_oidc_upstream import FakeUpstream
from tests.providers.oidc_harness import login

HOSTILE_NAME = "Mallory\r\nSet-Cookie: x=1 \x1b[31mred\x1b[0m \u202eevil\u202c <script>alert(1)</script>" + "x" * 10_000


def test_a_hostile_name_is_stripped_of_controls_and_bidi_and_capped() -> None:
    cleaned = safe_identity(Identity("p", "https://op.test", "s", name=HOSTILE_NAME))
    assert cleaned.name is not None and len(cleaned.name) == MAX_NAME
    assert cleaned.name.startswith("Mallory Set-Cookie: x=1 [31mred[0m evil <script>alert(1)</script>x")
    assert not any(c in cleaned.name for c in "\r\n\x1b\u202e\u202c")
    assert cleaned.cut_claims == ("name",)


def test_names_in_scripts_that_need_joiners_keep_them() -> None:
    name = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian, with a zero-width non-joiner
    assert safe_identity(Identity("p", "i", "s", name=name)) == Identity("p", "i", "s", name=name)


CASES = [
    ({"email": "alice@example.com\r\nBcc: x@evil.test"}, ("email",), {"email": None, "email_verified": False}),
    ({"email": "a" * 250 + "@x.test"}, ("email",), {"email": None, "email_verified": False}),
    ({"groups": ("admins\u202e", "staff", "g" * 257)}, ("groups",), {"groups": ("staff",)}),
    ({"groups": tuple(f"g{i}" for i in range(300))}, ("groups",), {"groups": tuple(f"g{i}" for i in range(256))}),
    ({"roles": ("Admin\x00", "Reader")}, ("roles",), {"roles": ("Reader",)}),
    ({"acr": "urn:loa:2\n"}, ("acr",), {"acr": None}),
]


@pytest.mark.parametrize(("given", "cut", "expected"), CASES, ids=[f"{c[1][0]}-{i}" for i, c in enumerate(CASES)])
def test_matched_claims_are_dropped_never_altered(
    given: dict[str, object], cut: tuple[str, ...], expected: dict[str, object]
) -> None:
    cleaned = safe_identity(Identity("p", "i", "s", email_verified=True, **given))  # type: ignore[arg-type]
    assert cleaned.cut_claims == cut
    assert {k: getattr(cleaned, k) for k in expected} == expected


async def test_the_generic_oidc_provider_hands_back_a_cleaned_identity(
    provider: OIDCProvider, upstream: FakeUpstream
) -> None:
    upstream.claims_patch = {"name": HOSTILE_NAME, "groups": ["devs", "ops\u202e"]}
    identity = await login(provider, upstream)
    assert identity.name is not None and len(identity.name) == MAX_NAME and "\u202e" not in identity.name
    assert identity.groups == ("devs",)
    assert identity.cut_claims == ("name", "groups")
