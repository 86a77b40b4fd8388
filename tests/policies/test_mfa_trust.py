"""Tests for policies/mfa_trust.py: which upstream evidence proves MFA, per provider kind, and how fresh."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policies.mfa_trust import OKTA_2FA, MFATrustRules, default_trust_rules, trust_rules, upstream_mfa
from providers.base import Identity

NOW = 1_800_000_000.0
FRESH = int(NOW) - 60
BASE = Identity(provider_id="p", issuer="https://idp.test", subject="s", auth_time=FRESH)


def ident(kind: str = "oidc", **fields: object) -> Identity:
    return replace(BASE, kind=kind, **fields)  # type: ignore[arg-type]


OKTA = default_trust_rules("okta")
ENTRA_C1 = trust_rules("entra", trusted_acrs=("c1",))

CASES = [
    # generic OIDC: amr containing mfa, nothing else
    ("oidc-amr-mfa", ident(amr=("pwd", "mfa")), default_trust_rules("oidc"), True, "proven"),
    ("oidc-pwd-only", ident(amr=("pwd",)), default_trust_rules("oidc"), False, "no_mfa_evidence"),
    ("oidc-otp-alone-is-one-factor", ident(amr=("otp",)), default_trust_rules("oidc"), False, "no_mfa_evidence"),
    ("oidc-acr-not-trusted-by-default", ident(acr="urn:x:loa:2", requested_acr_values=("urn:x:loa:2",)),
     default_trust_rules("oidc"), False, "no_mfa_evidence"),
    ("oidc-configured-acr-requested", ident(acr="urn:x:loa:2", requested_acr_values=("urn:x:loa:2",)),
     trust_rules("oidc", trusted_acr=("urn:x:loa:2",)), True, "proven"),
    ("oidc-configured-amr-replaces-default", ident(amr=("mfa",)), trust_rules("oidc", trusted_amr=("hwk",)),
     False, "no_mfa_evidence"),
    # Okta: amr mfa, or the requested 2fa acr
    ("okta-amr-mfa", ident("okta", amr=("pwd", "sms", "mfa")), OKTA, True, "proven"),
    ("okta-acr-requested", ident("okta", amr=("pwd",), acr=OKTA_2FA, requested_acr_values=(OKTA_2FA,)), OKTA,
     True, "proven"),
    ("okta-acr-unrequested", ident("okta", amr=("pwd",), acr=OKTA_2FA), OKTA, False, "evidence_not_requested"),
    ("okta-acr-ifpossible", ident("okta", acr=OKTA_2FA + ":ifpossible",
                                  requested_acr_values=(OKTA_2FA + ":ifpossible",)), OKTA, False, "no_mfa_evidence"),
    ("okta-acr-1fa", ident("okta", acr="urn:okta:loa:1fa:any", requested_acr_values=(OKTA_2FA,)), OKTA, False,
     "no_mfa_evidence"),
    # Entra: v1 amr mfa/ngcmfa (never wiaormfa), v2 only requested and configured acrs
    ("entra-v1-mfa", ident("entra", amr=("pwd", "mfa")), default_trust_rules("entra"), True, "proven"),
    ("entra-v1-ngcmfa", ident("entra", amr=("ngcmfa",)), default_trust_rules("entra"), True, "proven"),
    ("entra-v1-wiaormfa", ident("entra", amr=("wiaormfa",)), default_trust_rules("entra"), False, "no_mfa_evidence"),
    ("entra-wiaormfa-even-if-configured", ident("entra", amr=("wiaormfa",)),
     trust_rules("entra", trusted_amr=("wiaormfa", "mfa")), False, "no_mfa_evidence"),
    ("entra-v2-acrs-requested-configured", ident("entra", acrs=("c1",), requested_acrs=("c1",)), ENTRA_C1, True,
     "proven"),
    ("entra-v2-acrs-unrequested", ident("entra", acrs=("c1",)), ENTRA_C1, False, "evidence_not_requested"),
    ("entra-v2-acrs-not-configured", ident("entra", acrs=("c2",), requested_acrs=("c2",)), ENTRA_C1, False,
     "no_mfa_evidence"),
    ("entra-v2-nothing", ident("entra"), ENTRA_C1, False, "no_mfa_evidence"),
    # Google never, whatever the token says or the operator configures
    ("google-never", ident("google", amr=("mfa",)), default_trust_rules("google"), False,
     "provider_never_proves_mfa"),
    ("google-never-configured", ident("google", amr=("mfa",)), trust_rules("google", trusted_amr=("mfa",)), False,
     "provider_never_proves_mfa"),
    ("unknown-kind-trusts-nothing", ident("saml", amr=("mfa",)), default_trust_rules("saml"), False,
     "provider_never_proves_mfa"),
    # freshness
    ("stale-auth-time", ident(amr=("mfa",), auth_time=int(NOW) - 3601), default_trust_rules("oidc"), False,
     "auth_time_stale"),
    ("auth-time-at-the-limit", ident(amr=("mfa",), auth_time=int(NOW) - 3600), default_trust_rules("oidc"), True,
     "proven"),
    ("stale-for-a-short-max-age", ident(amr=("mfa",), auth_time=int(NOW) - 301),
     trust_rules("oidc", max_auth_age_seconds=300), False, "auth_time_stale"),
    ("missing-auth-time", ident(amr=("mfa",), auth_time=None), default_trust_rules("oidc"), False,
     "auth_time_missing"),
    ("missing-auth-time-accepted", ident(amr=("mfa",), auth_time=None),
     trust_rules("oidc", accept_missing_auth_time=True), True, "proven_without_auth_time"),
    ("auth-time-in-the-future", ident(amr=("mfa",), auth_time=int(NOW) + 3600), default_trust_rules("oidc"), False,
     "auth_time_in_future"),
    # Evidence only in userinfo never reaches the Identity (providers build it from the signed id_token alone):
    # an id_token without amr, whatever userinfo would have said, proves nothing.
    ("userinfo-only-claims", ident(amr=(), raw_claims={"sub": "s"}), default_trust_rules("oidc"), False,
     "no_mfa_evidence"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("identity", "rules", "proven", "reason"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_upstream_mfa(identity: Identity, rules: MFATrustRules, proven: bool, reason: str) -> None:
    verdict = upstream_mfa(identity, rules, NOW)
    assert (verdict.proven, verdict.reason) == (proven, reason)
    assert bool(verdict.evidence) == (proven or reason in ("auth_time_stale", "auth_time_missing",
                                                           "auth_time_in_future"))  # fmt: skip


def test_evidence_names_what_counted() -> None:
    identity = ident("okta", amr=("pwd", "mfa"), acr=OKTA_2FA, requested_acr_values=(OKTA_2FA,))
    assert upstream_mfa(identity, OKTA, NOW).evidence == ("amr:mfa", f"acr:{OKTA_2FA}")


def test_defaults_per_kind() -> None:
    assert default_trust_rules("oidc").trusted_amr == {"mfa"}
    assert default_trust_rules("okta").trusted_acr == {OKTA_2FA}
    assert default_trust_rules("entra").trusted_amr == {"mfa", "ngcmfa"}
    assert default_trust_rules("entra").trusted_acrs == frozenset()
    assert default_trust_rules("google").never
    assert trust_rules("okta", trusted_amr=None).trusted_amr == {"mfa"}  # None keeps the kind's default
    assert trust_rules("okta", trusted_amr=()).trusted_amr == frozenset()  # [] means: trust no amr
