"""The bridge's `acr` values and the RFC 8176 `amr` values it may emit in its own tokens."""

from __future__ import annotations

from collections.abc import Iterable

# Levels the bridge asserts (documented in docs/acr.md and advertised in discovery).
ACR_SINGLE_FACTOR = "urn:idp-bridge:loa:1"  # upstream SSO, no multi-factor evidence
ACR_MULTI_FACTOR = "urn:idp-bridge:loa:2"  # multi-factor, proven upstream or completed locally
ACR_VALUES_SUPPORTED = (ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR)

# IANA "Authentication Method Reference Values" registry (RFC 8176 and later registrations).
RFC8176_AMR = frozenset(
    {"face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd", "rba", "retina",
     "sc", "sms", "swk", "tel", "user", "vbm", "wia"}
)  # fmt: skip


def registered_amr(values: Iterable[str]) -> tuple[str, ...]:
    """Only registered values, de-duplicated, order kept: the bridge never relays provider-specific ones."""
    return tuple(dict.fromkeys(v for v in values if v in RFC8176_AMR))


def acr_for(amr: Iterable[str]) -> str:
    return ACR_MULTI_FACTOR if "mfa" in set(amr) else ACR_SINGLE_FACTOR
