"""Tests for idp_bridge/web/header_values.py: the identity headers of a forward-auth 200."""

from __future__ import annotations

from idp_bridge.web.header_values import IDENTITY_HEADER_NAMES, identity_headers


def test_a_200_carries_every_identity_header_even_when_the_value_is_unknown() -> None:
    # Caddy 2.6's copy_headers passes its own unexpanded placeholder on for a header the answer lacks
    sparse = identity_headers("u1", None, None, [], [], None)
    assert sparse == (("X-Auth-User", "u1"), ("X-Auth-Email", ""), ("X-Auth-Name", ""), ("X-Auth-Groups", ""),
                      ("X-Auth-Amr", ""), ("X-Auth-Acr", ""))  # fmt: skip
    full = dict(identity_headers("u1", "a@x.test", "A", ["g1", "g2"], ["pwd", "mfa"], "urn:idp-bridge:loa:2"))
    assert tuple(full) == IDENTITY_HEADER_NAMES
    assert full["X-Auth-Groups"] == "g1,g2" and full["X-Auth-Amr"] == "pwd,mfa"
