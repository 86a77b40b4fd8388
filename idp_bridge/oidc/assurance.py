"""The bridge's `acr` values and the RFC 8176 `amr` values it may emit in its own tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Levels the bridge asserts (documented in docs/acr.md and advertised in discovery).
ACR_SINGLE_FACTOR = "urn:idp-bridge:loa:1"  # upstream SSO, no multi-factor evidence
ACR_MULTI_FACTOR = "urn:idp-bridge:loa:2"  # multi-factor, proven upstream or completed locally
# Multi-factor with a code sent by email or SMS: below the authenticator app (NIST SP 800-63B treats SMS as a
# restricted authenticator and email as no AAL2 out-of-band channel at all), above a single factor.
ACR_SENT_CODE = "urn:idp-bridge:loa:mfa-sent-code"
ACR_VALUES_SUPPORTED = (ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR, ACR_SENT_CODE)
# Weakest first: a session at a level satisfies a request for that level or any below it.
ACR_ORDER = (ACR_SINGLE_FACTOR, ACR_SENT_CODE, ACR_MULTI_FACTOR)

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


@dataclass(frozen=True)
class Assurance:
    """What the bridge vouches for about one login: its tokens' `amr`, `acr` and `auth_time`."""

    amr: tuple[str, ...]
    acr: str
    auth_time: int


# The `amr` each local second factor adds (RFC 8176). RFC 8176 registers no value for email: an emailed code is a
# one-time password (`otp`, as Entra reports email codes), and the `acr` below tells it from an authenticator
# app's. A recovery code is a single-use secret the user holds (NIST's "look-up secret", AAL2), for which the
# closest registered value is also `otp`.
LOCAL_METHOD_AMR = {"totp": ("otp",), "email": ("otp",), "sms": ("sms",), "recovery_code": ("otp",)}
LOCAL_METHOD_ACR = {"totp": ACR_MULTI_FACTOR, "email": ACR_SENT_CODE, "sms": ACR_SENT_CODE,
                    "recovery_code": ACR_MULTI_FACTOR}  # fmt: skip


def upstream_assurance(upstream_amr: Iterable[str], mfa_proven: bool, auth_time: int) -> Assurance:
    """A login on the upstream's word alone. `mfa` appears only when the bridge trusts the upstream's evidence
    (policies.mfa_trust): an untrusted or stale "mfa" from upstream is not relayed."""
    amr = tuple(v for v in registered_amr(upstream_amr) if v != "mfa")
    if mfa_proven:
        return Assurance((*amr, "mfa"), ACR_MULTI_FACTOR, auth_time)
    return Assurance(amr, ACR_SINGLE_FACTOR, auth_time)


def local_factor_assurance(first_factor_amr: Iterable[str], method: str, completed_at: int) -> Assurance:
    """The first factor (upstream login or an existing session) plus a local second factor completed now."""
    amr = [v for v in registered_amr(first_factor_amr) if v != "mfa"]
    amr += [v for v in LOCAL_METHOD_AMR[method] if v not in amr]
    return Assurance((*amr, "mfa"), LOCAL_METHOD_ACR[method], completed_at)


def _rank(acr: str | None) -> int:
    return ACR_ORDER.index(acr) if acr in ACR_ORDER else 0


def demanded_acr(acr_values: str | None) -> str | None:
    """The multi-factor level a portal's `acr_values` asks for (the weakest it names: any one it lists satisfies
    it), or None when it names none above a single factor."""
    named = [v for v in (acr_values or "").split(" ") if _rank(v) > 0]
    return min(named, key=_rank) if named else None


def mfa_demanded(acr_values: str | None) -> bool:
    """Whether a portal's `acr_values` asks for one of the bridge's multi-factor levels."""
    return demanded_acr(acr_values) is not None


def acr_satisfies(acr: str | None, required: str | None) -> bool:
    """Whether a session at `acr` meets `required` (None: anything does)."""
    return required is None or _rank(acr) >= _rank(required)


def acr_at_least(required: str) -> frozenset[str]:
    """Every level that meets `required`."""
    return frozenset(ACR_ORDER[_rank(required):])
