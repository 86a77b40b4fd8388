"""The MFA trust outcome each provider's evidence leads to, stated as data and decided by policies.mfa_trust.

Each row's Identity is what the provider tests show the provider module really produces for that upstream answer;
the table pins that the provider modules and the trust policy agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from policies.mfa_trust import trust_rules, upstream_mfa
from providers.base import Identity

NOW = 1_700_000_000
TWO_FA = "urn:okta:loa:2fa:any"


@dataclass(frozen=True)
class Trust:
    """The [providers.X.mfa] table, with each kind's defaults filled in."""

    trusted_amr: tuple[str, ...] = ("mfa",)
    trusted_acr: tuple[str, ...] = ()
    trusted_acrs: tuple[str, ...] = ()


OKTA = Trust(trusted_acr=(TWO_FA, "phr", "phrh"))
ENTRA = Trust(trusted_acrs=("c1",))
GOOGLE = Trust(trusted_amr=())


def decided_trust(identity: Identity, trust: Trust) -> bool:
    """The policy's verdict, with the operator's [providers.X.mfa] table as `trust` (kind defaults otherwise)."""
    rules = trust_rules(
        identity.kind,
        trusted_amr=trust.trusted_amr,
        trusted_acr=trust.trusted_acr or None,
        trusted_acrs=trust.trusted_acrs,
    )
    return upstream_mfa(identity, rules, now=NOW).proven


def okta(amr: tuple[str, ...], acr: str | None, requested: tuple[str, ...] = (TWO_FA,)) -> Identity:
    return Identity("okta", "https://acme.okta.com/oauth2/default", "00u1", amr=amr, acr=acr, auth_time=NOW,
                    kind="okta", requested_acr_values=requested)  # fmt: skip


def entra(acrs: tuple[str, ...], requested: tuple[str, ...] = ("c1",), amr: tuple[str, ...] = ()) -> Identity:
    return Identity("entra", "https://login.microsoftonline.com/t/v2.0", "oid", acrs=acrs, amr=amr, auth_time=NOW,
                    kind="entra", requested_acrs=requested, tenant="t")  # fmt: skip


ROWS: list[tuple[str, Identity, Trust, bool]] = [
    ("okta: requested 2fa acr returned", okta(("pwd",), TWO_FA), OKTA, True),
    ("okta: amr has mfa", okta(("pwd", "mfa", "otp"), None, ()), OKTA, True),
    ("okta: acr weaker than requested, amr without mfa", okta(("pwd",), "urn:okta:loa:1fa:any"), OKTA, False),
    ("okta: 2fa acr that was never requested", okta(("pwd",), TWO_FA, ()), OKTA, False),
    ("okta: ifpossible is not proof", okta(("pwd",), f"{TWO_FA}:ifpossible", (f"{TWO_FA}:ifpossible",)), OKTA, False),
    ("okta: amr without mfa (okta_verify dropped)", okta(("pwd",), None, ()), OKTA, False),
    ("entra: requested context c1 satisfied", entra(("c1",)), ENTRA, True),
    ("entra: context requested, not satisfied", entra(()), ENTRA, False),
    ("entra: context present but not requested", entra(("c1",), ()), ENTRA, False),
    ("entra: context satisfied but not trusted", entra(("c2",), ("c2",)), ENTRA, False),
    ("entra v1: amr mfa", entra((), (), ("pwd", "mfa")), ENTRA, True),
    ("entra v1: amr without mfa", entra((), (), ("pwd",)), ENTRA, False),
    ("google: never", Identity("google", "https://accounts.google.com", "1", kind="google", amr=("mfa",)), GOOGLE,
     False),
]  # fmt: skip


@pytest.mark.parametrize(("identity", "trust", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_mfa_evidence_outcome(identity: Identity, trust: Trust, expected: bool) -> None:
    assert decided_trust(identity, trust) is expected
