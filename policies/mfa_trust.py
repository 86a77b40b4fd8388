"""When an upstream login counts as multi-factor: trusted `amr`/`acr`/`acrs` values per provider, and freshness.

Only evidence from the upstream's signed id_token counts (the `Identity` fields, never userinfo), and an `acr` or
Entra `acrs` value counts only when the bridge asked for it on this login: an unrequested value says nothing about
what the upstream enforced.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from providers.base import Identity

KINDS = ("oidc", "okta", "entra", "google")

# Entra's "Windows integrated auth OR MFA": never proof of MFA, whatever the configuration says.
NEVER_MFA_AMR = frozenset({"wiaormfa"})
# Okta's MFA level; `urn:okta:loa:2fa:any:ifpossible` falls back to one factor and is deliberately absent.
OKTA_2FA = "urn:okta:loa:2fa:any"
# An upstream auth_time this far in the future is not believed (the id_token's own iat/exp skew is smaller).
FUTURE_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class MFATrustRules:
    """What proves MFA for one provider. `trusted_acrs` are Entra auth-context ids the operator bound to an MFA
    Conditional Access policy; they count only when also requested. `max_auth_age_seconds` bounds how old the
    upstream `auth_time` may be; without `auth_time` the evidence is stale unless `accept_missing_auth_time`."""

    trusted_amr: frozenset[str] = frozenset()
    trusted_acr: frozenset[str] = frozenset()
    trusted_acrs: frozenset[str] = frozenset()
    max_auth_age_seconds: int = 3600
    accept_missing_auth_time: bool = False
    never: bool = False  # a provider kind that never proves MFA (Google)


@dataclass(frozen=True)
class UpstreamMFA:
    """The verdict. `reason` is a stable code for audit; `evidence` names the values that counted."""

    proven: bool
    reason: str
    evidence: tuple[str, ...] = ()


def default_trust_rules(kind: str) -> MFATrustRules:
    """Sensible defaults per provider kind; unknown kinds trust nothing."""
    if kind == "oidc":
        return MFATrustRules(trusted_amr=frozenset({"mfa"}))
    if kind == "okta":
        return MFATrustRules(trusted_amr=frozenset({"mfa"}), trusted_acr=frozenset({OKTA_2FA}))
    if kind == "entra":
        # v1 tokens: amr. v2 tokens carry no amr/acr: only configured, requested `acrs` auth contexts count.
        return MFATrustRules(trusted_amr=frozenset({"mfa", "ngcmfa"}))
    return MFATrustRules(never=True)


def trust_rules(
    kind: str,
    *,
    trusted_amr: Iterable[str] | None = None,
    trusted_acr: Iterable[str] | None = None,
    trusted_acrs: Iterable[str] = (),
    max_auth_age_seconds: int = 3600,
    accept_missing_auth_time: bool = False,
) -> MFATrustRules:
    """The kind's defaults with the operator's overrides (None keeps the kind's default list)."""
    base = default_trust_rules(kind)
    return MFATrustRules(
        trusted_amr=base.trusted_amr if trusted_amr is None else frozenset(trusted_amr),
        trusted_acr=base.trusted_acr if trusted_acr is None else frozenset(trusted_acr),
        trusted_acrs=frozenset(trusted_acrs),
        max_auth_age_seconds=max_auth_age_seconds,
        accept_missing_auth_time=accept_missing_auth_time,
        never=base.never,
    )


def _evidence(identity: Identity, rules: MFATrustRules) -> tuple[tuple[str, ...], str]:
    """The values that prove MFA, or () and why none did."""
    found: list[str] = [f"amr:{v}" for v in identity.amr if v in rules.trusted_amr and v not in NEVER_MFA_AMR]
    unrequested = False
    if identity.acr is not None and identity.acr in rules.trusted_acr:
        if identity.acr in identity.requested_acr_values:
            found.append(f"acr:{identity.acr}")
        else:
            unrequested = True
    for context in identity.acrs:
        if context in rules.trusted_acrs:
            if context in identity.requested_acrs:
                found.append(f"acrs:{context}")
            else:
                unrequested = True
    if found:
        return tuple(dict.fromkeys(found)), "proven"
    return (), "evidence_not_requested" if unrequested else "no_mfa_evidence"


def upstream_mfa(identity: Identity, rules: MFATrustRules, now: float) -> UpstreamMFA:
    """Whether the upstream login behind `identity` is proven multi-factor and fresh enough at `now`."""
    if rules.never:
        return UpstreamMFA(False, "provider_never_proves_mfa")
    evidence, reason = _evidence(identity, rules)
    if not evidence:
        return UpstreamMFA(False, reason)
    if identity.auth_time is None:
        if rules.accept_missing_auth_time:
            return UpstreamMFA(True, "proven_without_auth_time", evidence)
        return UpstreamMFA(False, "auth_time_missing", evidence)
    if identity.auth_time > now + FUTURE_TOLERANCE_SECONDS:
        return UpstreamMFA(False, "auth_time_in_future", evidence)
    if now - identity.auth_time > rules.max_auth_age_seconds:
        return UpstreamMFA(False, "auth_time_stale", evidence)
    return UpstreamMFA(True, "proven", evidence)
